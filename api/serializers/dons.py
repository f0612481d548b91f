from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from dons.models import DeviceKind, DonationState, DonorKind, Frequency
from parc.forms import MAX_NOTE_LENGTH

ID = {"min_value": 1, "max_value": 2**62}


class GisementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    donor = serializers.IntegerField(source="donor_id")
    donor_name = serializers.CharField(source="donor.name")
    donor_kind = serializers.ChoiceField(DonorKind.choices)
    refurbisher = serializers.IntegerField(source="refurbisher_id")
    refurbisher_name = serializers.CharField(source="refurbisher.name")
    commune = serializers.CharField(source="commune_id", allow_null=True)
    frequency = serializers.ChoiceField(Frequency.choices)
    expected_volume_per_year = serializers.IntegerField(allow_null=True)
    donation_count = serializers.IntegerField(required=False)
    has_convention = serializers.BooleanField(required=False)
    created_at = serializers.DateTimeField()


class GisementFilterSerializer(serializers.Serializer):
    q = serializers.CharField(max_length=100, required=False, allow_blank=True)
    donor_kind = serializers.ChoiceField(DonorKind.choices, required=False, allow_blank=True)
    frequency = serializers.ChoiceField(Frequency.choices, required=False, allow_blank=True)
    refurbisher = serializers.IntegerField(required=False, **ID)


class DonationLineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(DeviceKind.choices)
    quantity = serializers.IntegerField(min_value=0, max_value=100_000)


class DonationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    gisement = serializers.IntegerField(source="gisement_id")
    gisement_name = serializers.CharField(source="gisement.name")
    state = serializers.ChoiceField(DonationState.choices)
    pickup_date = serializers.DateField(allow_null=True)
    received_on = serializers.DateField(allow_null=True)
    received_weight_kg = serializers.DecimalField(max_digits=8, decimal_places=1, allow_null=True)
    donor_reference = serializers.CharField()
    lines = DonationLineSerializer(many=True, source="lines.all")
    state_changed_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()


class DonationFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(DonationState.choices, required=False, allow_blank=True)
    gisement = serializers.IntegerField(required=False, **ID)


class DonationCreateSerializer(serializers.Serializer):
    gisement = serializers.IntegerField(**ID)
    pickup_date = serializers.DateField(required=False, allow_null=True)
    pickup_address = serializers.CharField(max_length=500, required=False, allow_blank=True)
    donor_reference = serializers.CharField(max_length=100, required=False, allow_blank=True)
    received_weight_kg = serializers.DecimalField(
        max_digits=8, decimal_places=1, min_value=0, required=False, allow_null=True
    )
    stated_value = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    notes = serializers.CharField(max_length=MAX_NOTE_LENGTH, required=False, allow_blank=True)
    lines = DonationLineSerializer(many=True, required=False, max_length=len(DeviceKind.values))


class DonationTransitionSerializer(serializers.Serializer):
    expected_state = serializers.ChoiceField(DonationState.choices, required=False)
    note = serializers.CharField(max_length=MAX_NOTE_LENGTH, required=False, allow_blank=True)
    pickup_date = serializers.DateField(required=False, allow_null=True, help_text="collect")
    received_on = serializers.DateField(required=False, help_text=_("receive (obligatoire)"))
    weight_kg = serializers.DecimalField(
        max_digits=8, decimal_places=1, min_value=0, required=False, allow_null=True
    )


class DonationEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField()
    source_state = serializers.CharField()
    target_state = serializers.CharField()
    at = serializers.DateTimeField()
    note = serializers.CharField()
    data = serializers.JSONField()
