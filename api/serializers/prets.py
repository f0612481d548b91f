from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from parc.models import DeviceKind
from prets.models import LoanState, Mode, Purpose, RequestState, Urgency

ID = {"min_value": 1, "max_value": 2**62}


class HouseholdSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organisation = serializers.IntegerField(source="organisation_id")
    name = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    commune = serializers.CharField(source="commune_id")
    size = serializers.IntegerField()
    is_senior = serializers.BooleanField()
    is_young = serializers.BooleanField()
    is_jobseeker = serializers.BooleanField()
    is_single_parent = serializers.BooleanField()
    receives_social_minimum = serializers.BooleanField()
    consent_version = serializers.CharField()
    consent_at = serializers.DateTimeField()


class HouseholdCreateSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(required=False, **ID)
    name = serializers.CharField(max_length=150)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    commune = serializers.RegexField(r"^[0-9][0-9AB][0-9]{3}$", help_text=_("code INSEE"))
    size = serializers.IntegerField(min_value=1, max_value=30, required=False, default=1)
    is_senior = serializers.BooleanField(required=False, default=False)
    is_young = serializers.BooleanField(required=False, default=False)
    is_jobseeker = serializers.BooleanField(required=False, default=False)
    is_single_parent = serializers.BooleanField(required=False, default=False)
    receives_social_minimum = serializers.BooleanField(required=False, default=False)
    informed = serializers.BooleanField(
        help_text=_("Le foyer a été informé (texte de consent_version) et a donné son accord.")
    )
    consent_version = serializers.CharField(
        max_length=20, help_text=_("La version du texte d'information lu au foyer.")
    )


class EligibilityCheckCreateSerializer(serializers.Serializer):
    criterion = serializers.SlugField(max_length=40, help_text=_("code du critère, ex. rsa"))
    proof_kind = serializers.CharField(max_length=100, required=False, allow_blank=True)
    checked_on = serializers.DateField(required=False)


class EligibilityCheckSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    criterion = serializers.CharField(source="criterion.code")
    proof_kind = serializers.CharField()
    checked_on = serializers.DateField()
    valid_until = serializers.DateField()


class RequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    household = serializers.IntegerField(source="household_id")
    prescriber_org = serializers.IntegerField(source="prescriber_org_id")
    refurbisher = serializers.IntegerField(source="refurbisher_id")
    device_kind = serializers.ChoiceField(DeviceKind.choices)
    purpose = serializers.ChoiceField(Purpose.choices)
    mode = serializers.ChoiceField(Mode.choices)
    urgency = serializers.ChoiceField(Urgency.choices)
    consent_informed = serializers.BooleanField()
    state = serializers.ChoiceField(RequestState.choices)
    state_label = serializers.CharField(source="get_state_display")
    rejection_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    state_changed_at = serializers.DateTimeField()


class RequestFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(RequestState.choices, required=False, allow_blank=True)
    household = serializers.IntegerField(required=False, **ID)


class RequestCreateSerializer(serializers.Serializer):
    household = serializers.IntegerField(**ID)
    refurbisher = serializers.IntegerField(**ID)
    device_kind = serializers.ChoiceField(DeviceKind.choices)
    purpose = serializers.ChoiceField(Purpose.choices)
    mode = serializers.ChoiceField(Mode.choices)
    urgency = serializers.ChoiceField(Urgency.choices, required=False, default=0)
    training = serializers.SlugField(
        max_length=30, required=False, allow_blank=True, help_text=_("code du type d'atelier")
    )
    eligibility = serializers.IntegerField(required=False, allow_null=True, **ID)
    details = serializers.CharField(max_length=300, required=False, allow_blank=True)
    consent_informed = serializers.BooleanField(
        help_text=_("Le foyer a été informé du traitement de ses données.")
    )
    submit = serializers.BooleanField(required=False, default=False)


class RequestTransitionSerializer(serializers.Serializer):
    expected_state = serializers.ChoiceField(RequestState.choices, required=False)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


class RequestEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField()
    source_state = serializers.CharField()
    target_state = serializers.CharField()
    at = serializers.DateTimeField()
    note = serializers.CharField()
    # Who wrote it through the API ({"via": "api", "token": name}), among the event's details.
    data = serializers.JSONField()


class RequestDetailSerializer(RequestSerializer):
    history = RequestEventSerializer(many=True)


class LoanSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    request = serializers.IntegerField(source="request_id")
    device = serializers.CharField(source="device.public_code")
    household = serializers.IntegerField(source="household_id")
    organisation = serializers.IntegerField(source="organisation_id")
    state = serializers.ChoiceField(LoanState.choices)
    started_on = serializers.DateField()
    due_on = serializers.DateField()
    renewals = serializers.IntegerField()
    closed_on = serializers.DateField(allow_null=True)


class LoanFilterSerializer(serializers.Serializer):
    filter = serializers.ChoiceField(
        [("", ""), ("open", "open"), ("overdue", "overdue"), ("closed", "closed")],
        required=False,
        allow_blank=True,
    )
