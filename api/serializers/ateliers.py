from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ateliers.ords import COLUMNS, RepairBarrier, RepairStatus

ID = {"min_value": 1, "max_value": 2**62}


class SessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    workshop_type = serializers.CharField(source="workshop_type.code")
    workshop_type_name = serializers.CharField(source="workshop_type.name")
    title = serializers.CharField()
    organisation = serializers.IntegerField(source="organisation_id")
    commune = serializers.CharField(source="commune_id", allow_null=True)
    address = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    capacity = serializers.IntegerField()
    confirmed_count = serializers.IntegerField()
    waiting_count = serializers.IntegerField()
    repair_count = serializers.IntegerField()


class SessionFilterSerializer(serializers.Serializer):
    when = serializers.ChoiceField(
        [("upcoming", "upcoming"), ("past", "past"), ("all", "all")],
        required=False,
        default="upcoming",
    )
    workshop_type = serializers.SlugField(max_length=30, required=False, allow_blank=True)
    organisation = serializers.IntegerField(required=False, **ID)


class EnrolmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    household = serializers.IntegerField(source="household_id")
    household_name = serializers.CharField(source="household.name")
    status = serializers.CharField()
    attendance = serializers.CharField()
    enrolled_at = serializers.DateTimeField()


# ORDS v0.3 records as JSON: the CSV's 14 columns as keys.
OrdsRecordSerializer = type(
    "OrdsRecordSerializer",
    (serializers.Serializer,),
    {
        name: (
            serializers.IntegerField(allow_null=True)
            if name == "product_category_id"
            else serializers.CharField(allow_blank=True)
        )
        for name in COLUMNS
    },
)


class RepairFilterSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(required=False, **ID)
    session = serializers.IntegerField(required=False, **ID)
    imported = serializers.BooleanField(
        required=False, default=False, help_text=_("Ajouter les fiches d'autres sources")
    )


class RepairCreateSerializer(serializers.Serializer):
    """One repair in ORDS terms (the session gives the date, the group and the country)."""

    repair_status = serializers.ChoiceField(
        [
            (s.value, s.label)
            for s in (RepairStatus.FIXED, RepairStatus.REPAIRABLE, RepairStatus.END_OF_LIFE)
        ]
    )
    repair_barrier_if_end_of_life = serializers.ChoiceField(
        RepairBarrier.choices, required=False, allow_blank=True
    )
    product_category_id = serializers.IntegerField(required=False, allow_null=True, **ID)
    brand = serializers.CharField(max_length=200, required=False, allow_blank=True)
    year_of_manufacture = serializers.IntegerField(
        required=False, allow_null=True, min_value=1900, max_value=2100
    )
    problem = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    device_code = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text=_("code d'un appareil du parc")
    )
    weight_kg = serializers.DecimalField(
        max_digits=6, decimal_places=2, required=False, allow_null=True, min_value=0
    )
