"""The certificate annex: one line per erasure of the report's devices, keyset-paginated on
the page, streamed in CSV, bounded in the PDF.

The operator of an erasure is an employee of the refurbishing organisation that owns the
device: their name is personal data, and reports for funders never carry any (DESIGN.md).
So the column names the operator only to readers the subject allows
(``ReportSubject.names_people_of``: the coordination, that organisation's admins and
staff); anyone else, a funder or a donor, reads a pseudonymous reference such as
« Opérateur RT-7K3QX »: the organisation's short name and five Crockford base32 symbols of
an HMAC (keyed with the project's secret key) of the organisation's and the user's ids.
Stable across reports and files, different in each organisation (no linking one person
across organisations), not reversible nor guessable from a user id. Readers who see the
name see the reference next to it, so the organisation maps a funder's question about
« RT-7K3QX » back to the person from its own annex. Computed in Python from columns the
query already reads: no query per row. Why not the user's id: it is the same in every
organisation and every page that shows it (linkable), and counts the platform's accounts.
The references change if ``SECRET_KEY`` is rotated (``SECRET_KEY_FALLBACKS`` is not read).
"""

import datetime as dt

from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from parc.codes import ALPHABET
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
# 32**5 references: two of 50 operators of one organisation share one about once in 27,000.
OPERATOR_REFERENCE_LENGTH = 5
_OPERATOR_SALT = "filiere.rapports.annex.operator-reference"
# What the rows read besides the columns: who did the erasure, for which organisation.
_ROW_EXTRAS = ("pk", "operator_name", "operator_username", "operator_id", "owner_id", "owner_short")


def operator_reference(organisation_id: int | None, user_id: int, short_name: str = "") -> str:
    """The pseudonymous reference of an erasure operator within an organisation, e.g.
    ``RT-7K3QX`` (see the module docstring)."""
    digest = salted_hmac(_OPERATOR_SALT, f"{organisation_id}:{user_id}").digest()
    number = int.from_bytes(digest[:8], "big")
    symbols = []
    for _index in range(OPERATOR_REFERENCE_LENGTH):
        number, rest = divmod(number, len(ALPHABET))
        symbols.append(ALPHABET[rest])
    code = "".join(symbols)
    return f"{short_name}-{code}" if short_name else code


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
            # The device's owner: the organisation that did the erasure (parc.services
            # records one only for a member of the device's pool).
            owner_id=F("medium__device__owner_id"),
            owner_short=F("medium__device__owner__short_name"),
        )
        .order_by("pk")
    )


def _operator(values: dict, subject: ReportSubject, references: dict) -> str:
    key = (values["owner_id"], values["operator_id"])
    reference = references.get(key)
    if reference is None:
        # A few operators for thousands of rows: one HMAC each, not one per row.
        reference = references[key] = operator_reference(*key, values["owner_short"] or "")
    if subject.names_people_of(values["owner_id"]):
        name = values["operator_name"] or values["operator_username"]
        return f"{name} ({reference})"
    return gettext("Opérateur %(reference)s") % {"reference": reference}


def _annex_row(values: dict, subject: ReportSubject, references: dict) -> dict:
    row = {}
    for name, _label in ANNEX_COLUMNS:
        value = values[name]
        if name in _CHOICE_LABELS:
            value = str(_CHOICE_LABELS[name].get(value, value))
        elif isinstance(value, dt.datetime):
            value = timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
        elif name == "operator_name":
            value = _operator(values, subject, references)
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
    values = list(queryset.values(*_ROW_EXTRAS, *_column_names())[: size + 1])
    references: dict = {}
    rows = [_annex_row(v, subject, references) for v in values[:size]]
    return rows, (rows[-1]["pk"] if len(values) > size else None)


def annex_rows(subject: ReportSubject, period: Period, *, limit: int | None = None):
    """Every annex row in id order, read by chunks from the database (for CSV and PDF)."""
    queryset = _annex_queryset(subject, period)
    if limit is not None:
        queryset = queryset[:limit]
    references: dict = {}
    for values in queryset.values(*_ROW_EXTRAS, *_column_names()).iterator(chunk_size=2000):
        yield _annex_row(values, subject, references)


def _column_names() -> list[str]:
    return [name for name, _label in ANNEX_COLUMNS if name != "operator_name"]
