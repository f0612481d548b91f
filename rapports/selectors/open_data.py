"""The open data export of the pool: anonymous device rows of the gisements in scope
(docs/open-data.md)."""

from django.db.models import Count, DateField
from django.db.models.functions import Coalesce, ExtractQuarter, ExtractYear, TruncDate

from parc.models import Device

from ..access import ReportScope
from ..disclosure import SMALL_COUNT
from .figures import outcome_expression
from .scope import gisements_in_scope


def open_data_devices(scope: ReportScope) -> list[dict]:
    """Devices per quarter (of their donation's date) × territory of the gisement (commune,
    EPCI, département) × kind × outcome, for the gisements in scope. One query."""
    rows = (
        Device.objects.filter(donation__gisement__in=gisements_in_scope(scope).values("pk"))
        .annotate(
            day=Coalesce(
                "donation__received_on",
                "donation__pickup_date",
                TruncDate("donation__created_at"),
                output_field=DateField(),
            ),
            outcome=outcome_expression(),
        )
        .annotate(year=ExtractYear("day"), quarter=ExtractQuarter("day"))
        .values(
            "year",
            "quarter",
            "donation__gisement__commune__departement_id",
            "donation__gisement__commune__epci__siren",
            "donation__gisement__commune__epci__name",
            "donation__gisement__commune__insee_code",
            "donation__gisement__commune__name",
            "kind",
            "outcome",
        )
        .annotate(n=Count("pk"))
        .order_by(
            "year",
            "quarter",
            "donation__gisement__commune__insee_code",
            "kind",
            "outcome",
        )
    )
    return [
        {
            "trimestre": f"{row['year']}-T{row['quarter']}",
            "departement": row["donation__gisement__commune__departement_id"] or "",
            "epci_siren": row["donation__gisement__commune__epci__siren"] or "",
            "epci": row["donation__gisement__commune__epci__name"] or "",
            "commune_insee": row["donation__gisement__commune__insee_code"] or "",
            "commune": row["donation__gisement__commune__name"] or "",
            "type_appareil": row["kind"],
            "devenir": row["outcome"],
            "appareils": row["n"] if row["n"] >= SMALL_COUNT else None,
            "secret_statistique": row["n"] < SMALL_COUNT,
        }
        for row in rows
    ]
