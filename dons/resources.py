"""django-import-export resources for the coordination's admin exports of gisements and
donations: French headers, choices as their French labels, text cells neutralised.

The donors' contact details (name, e-mail, phone) and the pickup address are left out: a
spreadsheet travels further than the admin.
"""

from django.utils.translation import gettext_lazy as _
from import_export import fields, resources
from import_export.widgets import DateTimeWidget, DateWidget, DecimalWidget, IntegerWidget

from documents.resources import NeutralisedExportMixin

from .models import Donation, DonationState, DonorKind, Frequency, Gisement

DATE = DateWidget(format="%d/%m/%Y")
DATE_TIME = DateTimeWidget(format="%d/%m/%Y %H:%M")


def _labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


class GisementResource(NeutralisedExportMixin, resources.ModelResource):
    number = fields.Field(attribute="pk", column_name=_("n°"), widget=IntegerWidget())
    name = fields.Field(attribute="name", column_name=_("gisement"))
    donor = fields.Field(attribute="donor__name", column_name=_("donateur"))
    donor_kind = fields.Field(attribute="donor_kind", column_name=_("type de donateur"))
    refurbisher = fields.Field(
        attribute="refurbisher__name", column_name=_("structure de reconditionnement")
    )
    commune = fields.Field(attribute="commune__name", column_name=_("commune"))
    frequency = fields.Field(attribute="frequency", column_name=_("fréquence"))
    expected_volume = fields.Field(
        attribute="expected_volume_per_year",
        column_name=_("volume attendu par an"),
        widget=IntegerWidget(),
    )
    created_at = fields.Field(
        attribute="created_at", column_name=_("référencé le"), widget=DATE_TIME
    )

    class Meta:
        model = Gisement
        fields = (
            "number",
            "name",
            "donor",
            "donor_kind",
            "refurbisher",
            "commune",
            "frequency",
            "expected_volume",
            "created_at",
        )
        chunk_size = 2000

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._donor_kinds = _labels(DonorKind.choices)
        self._frequencies = _labels(Frequency.choices)

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("donor", "refurbisher", "commune")

    def dehydrate_donor_kind(self, gisement):
        return self._donor_kinds.get(gisement.donor_kind, gisement.donor_kind)

    def dehydrate_frequency(self, gisement):
        return self._frequencies.get(gisement.frequency, gisement.frequency)


class DonationResource(NeutralisedExportMixin, resources.ModelResource):
    number = fields.Field(attribute="pk", column_name=_("n° du don"), widget=IntegerWidget())
    gisement = fields.Field(attribute="gisement__name", column_name=_("gisement"))
    donor = fields.Field(attribute="gisement__donor__name", column_name=_("donateur"))
    refurbisher = fields.Field(
        attribute="gisement__refurbisher__name", column_name=_("structure de reconditionnement")
    )
    state = fields.Field(attribute="state", column_name=_("état"))
    pickup_date = fields.Field(
        attribute="pickup_date", column_name=_("date d'enlèvement"), widget=DATE
    )
    received_on = fields.Field(
        attribute="received_on", column_name=_("réceptionné le"), widget=DATE
    )
    received_weight_kg = fields.Field(
        attribute="received_weight_kg", column_name=_("poids reçu (kg)"), widget=DecimalWidget()
    )
    donor_reference = fields.Field(
        attribute="donor_reference", column_name=_("référence du donateur")
    )
    stated_value = fields.Field(
        attribute="stated_value",
        column_name=_("valeur déclarée par le donateur (€)"),
        widget=DecimalWidget(),
    )
    created_at = fields.Field(
        attribute="created_at", column_name=_("enregistré le"), widget=DATE_TIME
    )

    class Meta:
        model = Donation
        fields = (
            "number",
            "gisement",
            "donor",
            "refurbisher",
            "state",
            "pickup_date",
            "received_on",
            "received_weight_kg",
            "donor_reference",
            "stated_value",
            "created_at",
        )
        chunk_size = 2000

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._states = _labels(DonationState.choices)

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("gisement__donor", "gisement__refurbisher")

    def dehydrate_state(self, donation):
        return self._states.get(donation.state, donation.state)
