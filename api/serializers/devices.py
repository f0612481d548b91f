"""Shapes of the pool's resources. Serializers check types, lengths and choices; the services
decide everything else (who may, in which state, with which records)."""

import base64
import binascii

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from parc.bulk import TEXT_LENGTHS
from parc.forms import MAX_NOTE_LENGTH
from parc.models import (
    DeviceKind,
    ErasureResult,
    Grade,
    MediaType,
    PostSanitizationDestination,
    SanitizationLevel,
    SanitizationMethod,
    State,
    Verification,
)

MAX_BULK_DEVICES = 1000
MAX_MEDIA_PER_DEVICE = 16
# A report is JSON of 10 to 200 kB; a request body is capped by DATA_UPLOAD_MAX_MEMORY_SIZE.
MAX_REPORT_CHARS = 2_000_000
MAX_LOG_CHARS = 2_000_000


class StorageMediumSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    media_type = serializers.ChoiceField(MediaType.choices)
    manufacturer = serializers.CharField(max_length=100, required=False, allow_blank=True)
    model = serializers.CharField(max_length=150, required=False, allow_blank=True)
    serial = serializers.CharField(max_length=100, required=False, allow_blank=True)
    capacity_gb = serializers.IntegerField(
        min_value=1, max_value=1_000_000, required=False, allow_null=True
    )


class TransitionLinkSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()


class DeviceListSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField(source="public_code")
    kind = serializers.ChoiceField(DeviceKind.choices)
    brand = serializers.CharField()
    model = serializers.CharField()
    serial = serializers.CharField()
    state = serializers.ChoiceField(State.choices)
    grade = serializers.CharField()
    owner = serializers.IntegerField(source="owner_id")
    owner_name = serializers.CharField(source="owner.short_name")
    location = serializers.IntegerField(source="location_id", allow_null=True)
    location_name = serializers.SerializerMethodField()

    def get_location_name(self, device) -> str:
        return device.location.name if device.location_id else ""


class DeviceDetailSerializer(DeviceListSerializer):
    state_label = serializers.CharField(source="get_state_display")
    kind_label = serializers.CharField(source="get_kind_display")
    cpu = serializers.CharField()
    ram_gb = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    os = serializers.CharField()
    notes = serializers.CharField()
    received_without_storage = serializers.BooleanField()
    donation = serializers.IntegerField(source="donation_id", allow_null=True)
    cycle = serializers.IntegerField()
    state_changed_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    storage_media = StorageMediumSerializer(many=True)
    transitions = TransitionLinkSerializer(many=True, help_text=_("Actions possibles"))


class DeviceFilterSerializer(serializers.Serializer):
    """The device list's filters (the page's form, same names), and its keyset cursor."""

    q = serializers.CharField(max_length=100, required=False, allow_blank=True)
    state = serializers.ChoiceField(State.choices, required=False, allow_blank=True)
    kind = serializers.ChoiceField(DeviceKind.choices, required=False, allow_blank=True)
    grade = serializers.ChoiceField(Grade.choices, required=False, allow_blank=True)
    owner = serializers.IntegerField(required=False, min_value=1, max_value=2**62)
    location = serializers.IntegerField(required=False, min_value=1, max_value=2**62)


class DeviceRegisterSerializer(serializers.Serializer):
    owner = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**62,
        help_text=_("L'organisation ; facultatif si vous n'êtes membre que d'un atelier."),
    )
    donation = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**62
    )
    kind = serializers.ChoiceField(DeviceKind.choices)
    brand = serializers.CharField(
        max_length=TEXT_LENGTHS["brand"], required=False, allow_blank=True
    )
    model = serializers.CharField(
        max_length=TEXT_LENGTHS["model"], required=False, allow_blank=True
    )
    serial = serializers.CharField(
        max_length=TEXT_LENGTHS["serial"], required=False, allow_blank=True
    )
    cpu = serializers.CharField(max_length=TEXT_LENGTHS["cpu"], required=False, allow_blank=True)
    ram_gb = serializers.DecimalField(
        max_digits=5, decimal_places=1, min_value=0, required=False, allow_null=True
    )
    os = serializers.CharField(max_length=TEXT_LENGTHS["os"], required=False, allow_blank=True)
    notes = serializers.CharField(max_length=MAX_NOTE_LENGTH, required=False, allow_blank=True)
    received_without_storage = serializers.BooleanField(required=False, default=False)
    location = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**62
    )
    media = StorageMediumSerializer(many=True, required=False, max_length=MAX_MEDIA_PER_DEVICE)


class BulkDeviceSerializer(DeviceRegisterSerializer):
    owner = None
    donation = None
    hardware_report = serializers.JSONField(
        required=False,
        help_text=_(
            "La sortie de `lshw -json` ou `inxi --output json` (objet JSON ou texte) : elle "
            "complète les caractéristiques non données et ajoute les supports."
        ),
    )


class BulkRegisterSerializer(serializers.Serializer):
    owner = serializers.IntegerField(required=False, min_value=1, max_value=2**62)
    donation = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**62
    )
    devices = BulkDeviceSerializer(many=True, min_length=1, max_length=MAX_BULK_DEVICES)


class BulkItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    id = serializers.IntegerField()
    code = serializers.CharField()
    media = serializers.IntegerField()
    report_format = serializers.CharField(allow_blank=True)
    warnings = serializers.ListField(child=serializers.CharField())


class BulkResultSerializer(serializers.Serializer):
    registered = serializers.IntegerField()
    results = BulkItemResultSerializer(many=True)


class TransitionSerializer(serializers.Serializer):
    expected_state = serializers.ChoiceField(
        State.choices,
        required=False,
        help_text=_("L'état que vous avez lu : refusé avec « changed » s'il a changé."),
    )
    note = serializers.CharField(max_length=MAX_NOTE_LENGTH, required=False, allow_blank=True)
    # mark_ready only
    checklist = serializers.DictField(child=serializers.BooleanField(), required=False)
    grade = serializers.ChoiceField(Grade.choices, required=False)
    os_installed = serializers.CharField(max_length=100, required=False, allow_blank=True)
    parts_replaced = serializers.CharField(
        max_length=MAX_NOTE_LENGTH, required=False, allow_blank=True
    )


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField()
    source_state = serializers.CharField()
    target_state = serializers.CharField()
    at = serializers.DateTimeField()
    actor = serializers.SerializerMethodField()
    note = serializers.CharField()
    data = serializers.JSONField()

    def get_actor(self, event) -> str:
        return str(event.actor) if event.actor_id else ""


class MoveSerializer(serializers.Serializer):
    location = serializers.IntegerField(allow_null=True, min_value=1, max_value=2**62)


class ErasureRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    medium = serializers.IntegerField(source="medium_id", min_value=1, max_value=2**62)
    device_cycle = serializers.IntegerField(read_only=True)
    serial = serializers.CharField(read_only=True)
    media_type = serializers.CharField(read_only=True)
    level = serializers.ChoiceField(SanitizationLevel.choices)
    method = serializers.ChoiceField(SanitizationMethod.choices)
    tool = serializers.CharField(max_length=100)
    tool_version = serializers.CharField(max_length=50, required=False, allow_blank=True)
    verification = serializers.ChoiceField(Verification.choices)
    result = serializers.ChoiceField(ErasureResult.choices)
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField()
    destination = serializers.ChoiceField(
        PostSanitizationDestination.choices, required=False, default="reuse"
    )

    def validate(self, attrs):
        if attrs["ended_at"] < attrs["started_at"]:
            raise serializers.ValidationError({"ended_at": _("La fin doit suivre le début.")})
        return attrs


class HardwareReportSerializer(serializers.Serializer):
    report = serializers.JSONField(
        help_text=_("La sortie de `lshw -json` ou de `inxi --output json` (objet ou texte).")
    )


class HardwareOutcomeSerializer(serializers.Serializer):
    format = serializers.CharField()
    filled = serializers.DictField(child=serializers.CharField())
    media_created = StorageMediumSerializer(many=True)
    media_known = serializers.IntegerField()
    warnings = serializers.ListField(child=serializers.CharField())


def log_bytes(attrs: dict, text: str, encoded: str) -> bytes | None:
    """A log given as text or, byte for byte, in base64 (nwipe writes non-UTF-8 bytes)."""
    if attrs.get(encoded):
        try:
            return base64.b64decode(attrs[encoded], validate=True)
        except (ValueError, binascii.Error):
            raise serializers.ValidationError({encoded: _("Base64 invalide.")}) from None
    if attrs.get(text):
        return attrs[text].encode("utf-8")
    return None


class ErasureLogSerializer(serializers.Serializer):
    log = serializers.CharField(
        max_length=MAX_LOG_CHARS, trim_whitespace=False, required=False, allow_blank=True
    )
    log_base64 = serializers.CharField(
        max_length=MAX_LOG_CHARS * 2, required=False, help_text=_("Le journal en base64.")
    )
    filename = serializers.CharField(max_length=100, required=False, default="nwipe.log")
    assignments = serializers.DictField(
        child=serializers.CharField(max_length=20),
        required=False,
        help_text=_(
            "Disques sans numéro de série reconnu : chemin → id du support, ou « ignore »."
        ),
    )

    def validate(self, attrs):
        attrs["raw"] = log_bytes(attrs, "log", "log_base64")
        if not attrs["raw"]:
            raise serializers.ValidationError({"log": _("Joignez le journal (log ou log_base64).")})
        return attrs


class ErasureLogOutcomeSerializer(serializers.Serializer):
    erasures = ErasureRecordSerializer(many=True)
    already_recorded = serializers.ListField(child=serializers.CharField())
    ignored = serializers.ListField(child=serializers.CharField())


class MissingSerializer(serializers.Serializer):
    specs = serializers.ListField(child=serializers.CharField())
    storage_missing = serializers.BooleanField()
    media_without_serial = serializers.ListField(child=serializers.IntegerField())
    media_lacking_erasure = serializers.ListField(child=serializers.IntegerField())


class EvidenceSerializer(serializers.Serializer):
    """What the registration agent collects on a device (or a bundle it wrote offline)."""

    lshw = serializers.JSONField(required=False, help_text="lshw -json")
    inxi = serializers.JSONField(required=False, help_text="inxi --output json")
    smartctl = serializers.ListField(
        child=serializers.JSONField(), required=False, max_length=32, help_text="smartctl -j -a"
    )
    dmidecode = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_REPORT_CHARS, trim_whitespace=False
    )
    nwipe_log = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_LOG_CHARS, trim_whitespace=False
    )
    nwipe_log_base64 = serializers.CharField(required=False, max_length=MAX_LOG_CHARS * 2)
    agent_version = serializers.CharField(required=False, allow_blank=True, max_length=20)

    def validate(self, attrs):
        attrs["nwipe_raw"] = log_bytes(attrs, "nwipe_log", "nwipe_log_base64")
        return attrs


class BundleSerializer(EvidenceSerializer):
    format = serializers.ChoiceField([("filiere-agent-bundle", "filiere-agent-bundle")])
    code = serializers.CharField(max_length=100)
    collected_at = serializers.DateTimeField(required=False)


class EvidenceFileSerializer(serializers.Serializer):
    name = serializers.CharField()
    status = serializers.ChoiceField(
        [
            ("applied", "applied"),
            ("already_known", "already_known"),
            ("not_read", "not_read"),
            ("refused", "refused"),
        ]
    )
    message = serializers.CharField(allow_blank=True)


class EvidenceOutcomeSerializer(serializers.Serializer):
    code = serializers.CharField()
    files = EvidenceFileSerializer(many=True)
    filled = serializers.DictField(child=serializers.CharField())
    media_created = StorageMediumSerializer(many=True)
    erasures = ErasureRecordSerializer(many=True)
    missing = MissingSerializer()
