"""The certificate annex: one line per erasure of the report's devices, keyset-paginated on
the page, streamed in CSV, bounded in the PDF."""

import datetime as dt

from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parc.models import (
    ErasureRecord,
    ErasureResult,
    MediaType,
    PostSanitizationDestination,
    SanitizationLevel,
    SanitizationMethod,
    Verification,
)

from .scope import Period, ReportSubject, donation_conditions

ANNEX_COLUMNS = (
    ("medium__device__public_code", _("appareil")),
    ("media_type", _("type de support")),
    ("manufacturer", _("fabricant")),
    ("model", _("modèle")),
    ("serial", _("numéro de série")),
    ("level", _("niveau")),
    ("method", _("méthode")),
    ("tool", _("outil")),
    ("tool_version", _("version")),
    ("verification", _("vérification")),
    ("result", _("résultat")),
    ("started_at", _("début")),
    ("ended_at", _("fin")),
    ("operator_name", _("opérateur")),
    ("destination", _("destination du support")),
    # The tool's own log kept as evidence: its name and checksum let anyone check the copy.
    ("evidence__original_name", _("journal de l'outil")),
    ("evidence__sha256", _("SHA-256 du journal")),
)
_CHOICE_LABELS = {
    "media_type": dict(MediaType.choices),
    "level": dict(SanitizationLevel.choices),
    "method": dict(SanitizationMethod.choices),
    "verification": dict(Verification.choices),
    "result": dict(ErasureResult.choices),
    "destination": dict(PostSanitizationDestination.choices),
}
ANNEX_PAGE_SIZE = 100


def _annex_queryset(subject: ReportSubject, period: Period):
    from django.db.models.functions import Concat, Trim

    return (
        ErasureRecord.objects.filter(
            *donation_conditions(subject, period, "medium__device__donation__")
        )
        .annotate(
            operator_name=Coalesce(
                Trim(Concat("operator__first_name", Value(" "), "operator__last_name")),
                Value(""),
            ),
            operator_username=F("operator__username"),
        )
        .order_by("pk")
    )


def _annex_row(values: dict) -> dict:
    row = {}
    for name, _label in ANNEX_COLUMNS:
        value = values[name]
        if name in _CHOICE_LABELS:
            value = str(_CHOICE_LABELS[name].get(value, value))
        elif isinstance(value, dt.datetime):
            value = timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
        elif name == "operator_name":
            value = value or values["operator_username"]
        elif name.startswith("evidence__"):
            value = value or ""
        row[name] = value
    row["pk"] = values["pk"]
    return row


def annex_page(subject: ReportSubject, period: Period, *, after: int | None, size: int):
    """One page of the annex by keyset (``after`` = last id seen): the same cost for page 1
    and page 10,000. Returns (rows, next cursor or None)."""
    queryset = _annex_queryset(subject, period)
    if after:
        queryset = queryset.filter(pk__gt=after)
    names = [name for name, _label in ANNEX_COLUMNS if name != "operator_name"]
    values = list(queryset.values("pk", "operator_name", "operator_username", *names)[: size + 1])
    rows = [_annex_row(v) for v in values[:size]]
    return rows, (rows[-1]["pk"] if len(values) > size else None)


def annex_rows(subject: ReportSubject, period: Period, *, limit: int | None = None):
    """Every annex row in id order, read by chunks from the database (for CSV and PDF)."""
    queryset = _annex_queryset(subject, period)
    if limit is not None:
        queryset = queryset[:limit]
    names = [name for name, _label in ANNEX_COLUMNS if name != "operator_name"]
    for values in queryset.values("pk", "operator_name", "operator_username", *names).iterator(
        chunk_size=2000
    ):
        yield _annex_row(values)
