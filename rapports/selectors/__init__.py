"""Reads for the gisement report: one gisement, one donation or every gisement of a donor,
over a period. Every figure is aggregated by the database (GROUP BY, conditional counts):
the number of queries is fixed, whatever the number of devices.

The period applies to the donations: a donation belongs to the period when its reception
date (else its pickup date, else the date it was recorded) falls inside it, and the report
follows every device of those donations to its state today.
"""

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractQuarter, ExtractYear, TruncDate
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from acteurs.models import HOUSEHOLD_CATEGORY_FIELDS, Household, Organisation
from ateliers import selectors as ateliers_selectors
from dons.models import Donation, Gisement
from parc.models import (
    Device,
    DeviceKind,
    ErasureRecord,
    ErasureResult,
    MediaType,
    PostSanitizationDestination,
    SanitizationLevel,
    SanitizationMethod,
    State,
    StorageMedium,
    Verification,
)
from prets.models import Loan, Sale

from .. import co2
from ..access import ReportScope, report_scope
from ..disclosure import SMALL_COUNT, small
from ..models import ReportSubjectKind

# --- what a report is about -------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: dt.date | None = None
    end: dt.date | None = None

    @property
    def is_open(self) -> bool:
        return self.start is None and self.end is None


@dataclass(frozen=True)
class ReportSubject:
    kind: str  # ReportSubjectKind
    pk: int
    title: str
    donor: str
    refurbishers: str
    gisement_q: Q  # on Gisement

    @property
    def kind_label(self) -> str:
        return ReportSubjectKind(self.kind).label


def gisements_in_scope(scope: ReportScope) -> QuerySet[Gisement]:
    return Gisement.objects.filter(scope.gisement_filter())


def report_index(user) -> dict:
    """What the user may report on: gisements and donors, three queries at most."""
    scope = report_scope(user)
    if scope.is_empty:
        return {"gisements": [], "donors": []}
    gisements = list(
        gisements_in_scope(scope)
        .select_related("donor", "refurbisher")
        .annotate(donation_count=Count("donations"))
        .order_by("donor__name", "name")
    )
    donor_ids = sorted({g.donor_id for g in gisements})
    donors = list(Organisation.objects.filter(pk__in=donor_ids).order_by("name"))
    return {"gisements": gisements, "donors": donors}


def subject_for(user, kind: str, pk: int) -> ReportSubject:
    """The subject of a report if the user may read it; 404 otherwise (one or two queries)."""
    return subject_in_scope(report_scope(user), kind, pk)


def subject_in_scope(scope: ReportScope, kind: str, pk: int) -> ReportSubject:
    if scope.is_empty:
        raise Http404
    allowed = scope.gisement_filter()
    if kind == ReportSubjectKind.GISEMENT:
        gisement = (
            Gisement.objects.filter(allowed, pk=pk).select_related("donor", "refurbisher").first()
        )
        if gisement is None:
            raise Http404
        return ReportSubject(
            kind=kind,
            pk=pk,
            title=gisement.name,
            donor=gisement.donor.name,
            refurbishers=gisement.refurbisher.name,
            gisement_q=Q(pk=pk),
        )
    if kind == ReportSubjectKind.DONATION:
        donation = (
            Donation.objects.filter(scope.gisement_filter("gisement__"), pk=pk)
            .select_related("gisement__donor", "gisement__refurbisher")
            .first()
        )
        if donation is None:
            raise Http404
        gisement = donation.gisement
        return ReportSubject(
            kind=kind,
            pk=pk,
            title=f"{donation} — {gisement.name}",
            donor=gisement.donor.name,
            refurbishers=gisement.refurbisher.name,
            gisement_q=Q(pk=gisement.pk),
        )
    if kind == ReportSubjectKind.DONOR:
        names = list(
            Gisement.objects.filter(allowed, donor_id=pk)
            .values_list("donor__name", "refurbisher__name")
            .distinct()
            .order_by("refurbisher__name")
        )
        if not names:
            raise Http404
        return ReportSubject(
            kind=kind,
            pk=pk,
            title=str(_("Tous les gisements de %(donor)s") % {"donor": names[0][0]}),
            donor=names[0][0],
            refurbishers=", ".join(name for _donor, name in names),
            gisement_q=allowed & Q(donor_id=pk),
        )
    raise Http404


def donation_day():
    """The date a donation counts on for a period (see the module docstring)."""
    return Coalesce("received_on", "pickup_date", TruncDate("created_at"), output_field=DateField())


def donations_for(subject: ReportSubject, period: Period) -> QuerySet[Donation]:
    queryset = Donation.objects.filter(gisement__in=Gisement.objects.filter(subject.gisement_q))
    if subject.kind == ReportSubjectKind.DONATION:
        queryset = queryset.filter(pk=subject.pk)
    if not period.is_open:
        queryset = queryset.annotate(day=donation_day())
        if period.start:
            queryset = queryset.filter(day__gte=period.start)
        if period.end:
            queryset = queryset.filter(day__lte=period.end)
    return queryset


def _prefixed(q: Q, prefix: str) -> Q:
    """The same Q, on a relation to the model it was written for (``prefix`` such as
    ``"donation__gisement__"``)."""
    prefixed = Q(*(), _connector=q.connector, _negated=q.negated)
    for child in q.children:
        if isinstance(child, Q):
            prefixed.children.append(_prefixed(child, prefix))
        else:
            lookup, value = child
            prefixed.children.append((f"{prefix}{lookup}", value))
    return prefixed


def donation_conditions(subject: ReportSubject, period: Period, prefix: str) -> list:
    """Filters keeping the rows related (through ``prefix``, such as ``"device__donation__"``)
    to the donations of the report. Joins, not ``IN (subquery)``: PostgreSQL then knows how
    many devices a donation has and plans hash joins instead of a million index probes."""
    conditions: list = [_prefixed(subject.gisement_q, f"{prefix}gisement__")]
    if subject.kind == ReportSubjectKind.DONATION:
        conditions.append(Q(**{f"{prefix}pk": subject.pk}))
    if not period.is_open:
        day = Coalesce(
            f"{prefix}received_on",
            f"{prefix}pickup_date",
            TruncDate(f"{prefix}created_at"),
            output_field=DateField(),
        )
        if period.start:
            conditions.append(GreaterThanOrEqual(day, period.start))
        if period.end:
            conditions.append(LessThanOrEqual(day, period.end))
    return conditions


def devices_for(subject: ReportSubject, period: Period) -> QuerySet[Device]:
    return Device.objects.filter(*donation_conditions(subject, period, "donation__"))


# --- figures ------------------------------------------------------------------------------------


class Outcome:
    """What became of a device, from its state (and, once it left, its loan or sale)."""

    SOLD = "sold"
    GIVEN = "given"
    KEPT = "kept"
    ON_LOAN = "on_loan"
    ALLOCATED = "allocated"
    READY = "ready"
    IN_PROGRESS = "in_progress"
    PARTS = "parts"
    RECYCLED = "recycled"
    LOST = "lost"

    LABELS = {
        SOLD: _("cédé : vendu à prix solidaire"),
        GIVEN: _("cédé : donné (0 €)"),
        KEPT: _("cédé : gardé par le foyer à la fin du prêt"),
        ON_LOAN: _("en prêt"),
        ALLOCATED: _("attribué à un foyer, remise à venir"),
        READY: _("disponible au stock"),
        IN_PROGRESS: _("en cours (diagnostic, effacement, reconditionnement, retour)"),
        PARTS: _("démonté pour pièces"),
        RECYCLED: _("recyclé (DEEE)"),
        LOST: _("perdu ou volé"),
    }
    ORDER = (SOLD, GIVEN, KEPT, ON_LOAN, ALLOCATED, READY, IN_PROGRESS, PARTS, RECYCLED, LOST)
    HANDED_ON = (SOLD, GIVEN, KEPT)
    # Devices that replaced a purchase: the ones counted for CO2e avoided.
    SECOND_LIFE = (SOLD, GIVEN, KEPT, ON_LOAN)
    IN_PROGRESS_STATES = (
        State.REGISTERED,
        State.TRIAGE,
        State.WIPED,
        State.REFURBISHING,
        State.RETURNED,
    )


def outcome_expression(prefix: str = ""):
    """A CASE giving the Outcome of a device (``prefix`` for a relation to Device). A
    transferred device was sold (a Sale with a price), given (a Sale at 0 €) or kept by the
    borrower at the end of a loan (no Sale: transfer_to_borrower)."""
    state = f"{prefix}state"
    sale_price = f"{prefix}sale__price"
    return Case(
        When(**{state: State.TRANSFERRED, f"{sale_price}__gt": 0}, then=Value(Outcome.SOLD)),
        When(**{state: State.TRANSFERRED, f"{sale_price}": 0}, then=Value(Outcome.GIVEN)),
        When(**{state: State.TRANSFERRED}, then=Value(Outcome.KEPT)),
        When(**{state: State.ON_LOAN}, then=Value(Outcome.ON_LOAN)),
        When(**{state: State.ALLOCATED}, then=Value(Outcome.ALLOCATED)),
        When(**{state: State.READY}, then=Value(Outcome.READY)),
        When(**{state: State.PARTS}, then=Value(Outcome.PARTS)),
        When(**{state: State.RECYCLED}, then=Value(Outcome.RECYCLED)),
        When(**{state: State.LOST}, then=Value(Outcome.LOST)),
        default=Value(Outcome.IN_PROGRESS),
        output_field=CharField(),
    )


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"))


@dataclass
class KindRow:
    kind: str
    label: str
    count: int
    estimated_weight_kg: Decimal | None
    outcomes: dict[str, int]


@dataclass
class OutcomeRow:
    code: str
    label: str
    count: int
    percent: Decimal | None


@dataclass
class ErasureRow:
    level: str
    method: str
    result: str
    records: int
    media: int

    @property
    def level_label(self):
        return SanitizationLevel(self.level).label if self.level in SanitizationLevel else ""

    @property
    def method_label(self):
        return SanitizationMethod(self.method).label if self.method in SanitizationMethod else ""

    @property
    def result_label(self):
        return ErasureResult(self.result).label if self.result in ErasureResult else ""


FAILURE_FOLLOW_UP = {
    "re_erased": _("effacé à nouveau avec succès"),
    "destroyed_later": _("détruit ensuite"),
    "pending": _("aucune suite enregistrée pour l'instant"),
    **dict(PostSanitizationDestination.choices),
}


@dataclass
class FailureRow:
    follow_up: str
    label: str
    count: int


@dataclass
class TerritoryRow:
    epci: str
    commune: str
    insee_code: str
    households: int

    @property
    def shown(self):
        return small(self.households)


@dataclass
class EpciRow:
    name: str
    households: int
    communes: list[TerritoryRow] = field(default_factory=list)

    @property
    def shown(self):
        return small(self.households)


@dataclass
class Co2Row:
    kind: str
    label: str
    devices: int
    factor_kg: Decimal | None
    avoided_kg: Decimal | None


@dataclass
class GisementReport:
    subject: ReportSubject
    period: Period
    generated_at: dt.datetime
    donations: int
    weighed_kg: Decimal | None
    weighed_donations: int
    devices: int
    by_kind: list[KindRow]
    outcomes: list[OutcomeRow]
    handed_on: int
    media_total: int
    media_erased: int
    media_destroyed: int
    media_pending: int
    erasures: list[ErasureRow]
    failures: list[FailureRow]
    annex_total: int
    households: int
    households_by_category: list[tuple[str, object]]
    territories: list[EpciRow]
    trained_households: int
    training: list
    progress: list
    co2_rows: list[Co2Row]
    co2_total_kg: Decimal
    co2_uncounted: int
    factors: co2.FactorTable
    # When the device figures were computed, if they were summed from the donations'
    # summaries; None when computed live with the report.
    computed_at: dt.datetime | None = None

    @property
    def is_empty(self) -> bool:
        return self.devices == 0

    @property
    def estimated_weight_kg(self) -> Decimal:
        return sum((row.estimated_weight_kg or Decimal(0) for row in self.by_kind), Decimal(0))

    @property
    def handed_on_percent(self):
        return percent(self.handed_on, self.devices)

    @property
    def households_shown(self):
        return small(self.households)

    @property
    def trained_shown(self):
        return small(self.trained_households)

    @property
    def outcome_chart(self) -> list[tuple[str, int]]:
        return [(str(row.label), row.count) for row in self.outcomes]


def _equipped_households(donation_ids: list[int]) -> QuerySet[Household]:
    """Households that received a device of the report: a loan (whatever became of it) or a
    sale (including gifts). A subquery each (loans or sales joined to their device, computed
    once and hashed by PostgreSQL), never a list of households in Python."""
    return Household.objects.filter(
        Q(pk__in=Loan.objects.filter(device__donation_id__in=donation_ids).values("household_id"))
        | Q(pk__in=Sale.objects.filter(device__donation_id__in=donation_ids).values("household_id"))
    )


# --- the device figures: additive across donations ---------------------------------------------
# Devices by kind × outcome, storage media, erasures by level × method × result and failures
# by follow-up add up across donations: a medium belongs to one device, a device to one
# donation. They are computed by ``device_figures`` for a list of donations, live or one
# donation at a time into a ``DonationSummary`` (rapports.services), and stored as plain JSON
# that ``add_figures`` sums; ``_device_part`` turns either into the report's rows.


def device_figures(donation_ids: list[int]) -> dict:
    """The additive device figures of these donations, in four grouped queries."""
    devices = Device.objects.filter(donation_id__in=donation_ids)

    # devices by kind × outcome
    by_kind: dict[str, dict[str, int]] = {}
    for cell in (
        devices.annotate(outcome=outcome_expression())
        .values("kind", "outcome")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        by_kind.setdefault(cell["kind"], {})[cell["outcome"]] = cell["n"]

    # storage media: erased, destroyed, still waiting. One grouped pass over the media and
    # their erasures (a LEFT JOIN counted per medium), not two EXISTS probes per medium.
    erased = Q(erasures__result=ErasureResult.ERASED)
    destroy = Q(erasures__level=SanitizationLevel.DESTROY)
    media = (
        StorageMedium.objects.filter(device__donation_id__in=donation_ids)
        .annotate(
            wipes=Count("erasures", filter=erased & ~destroy),
            destructions=Count("erasures", filter=erased & destroy),
        )
        .aggregate(
            total=Count("pk"),
            destroyed=Count("pk", filter=Q(destructions__gt=0)),
            erased=Count("pk", filter=Q(wipes__gt=0, destructions=0)),
        )
    )

    # erasures by level × method × result (a medium's erasures all belong to its donation,
    # so the distinct media add up too)
    records = ErasureRecord.objects.filter(medium__device__donation_id__in=donation_ids)
    erasures = [
        [row["level"], row["method"], row["result"], row["n"], row["media"]]
        for row in records.values("level", "method", "result")
        .annotate(n=Count("pk"), media=Count("medium_id", distinct=True))
        .order_by()
    ]

    # failures and what was done with those media
    later_success = ErasureRecord.objects.filter(
        medium_id=OuterRef("medium_id"), pk__gt=OuterRef("pk"), result=ErasureResult.ERASED
    )
    failures = {
        row["follow_up"]: row["n"]
        for row in records.exclude(result=ErasureResult.ERASED)
        .annotate(
            follow_up=Case(
                When(
                    Exists(later_success.filter(level=SanitizationLevel.DESTROY)),
                    then=Value("destroyed_later"),
                ),
                When(Exists(later_success), then=Value("re_erased")),
                When(
                    ~Q(destination=PostSanitizationDestination.REUSE),
                    then=F("destination"),
                ),
                default=Value("pending"),
                output_field=CharField(),
            )
        )
        .values("follow_up")
        .annotate(n=Count("pk"))
        .order_by()
    }
    return {
        "devices": by_kind,
        "media": {name: media[name] or 0 for name in ("total", "erased", "destroyed")},
        "erasures": erasures,
        "failures": failures,
    }


def empty_figures() -> dict:
    return {
        "devices": {},
        "media": {"total": 0, "erased": 0, "destroyed": 0},
        "erasures": [],
        "failures": {},
    }


def add_figures(total: dict, figures: dict) -> dict:
    """Add one donation's figures (as ``device_figures`` returns them) to ``total``."""
    for kind, outcomes in figures["devices"].items():
        cell = total["devices"].setdefault(kind, {})
        for outcome, n in outcomes.items():
            cell[outcome] = cell.get(outcome, 0) + n
    for name, n in figures["media"].items():
        total["media"][name] = total["media"].get(name, 0) + n
    erasures = {tuple(row[:3]): row for row in total["erasures"]}
    for level, method, result, records, media in figures["erasures"]:
        row = erasures.get((level, method, result))
        if row is None:
            row = erasures[(level, method, result)] = [level, method, result, 0, 0]
            total["erasures"].append(row)
        row[3] += records
        row[4] += media
    for follow_up, n in figures["failures"].items():
        total["failures"][follow_up] = total["failures"].get(follow_up, 0) + n
    return total


def _summed_figures(donation_ids: list[int]) -> tuple[dict | None, dt.datetime | None]:
    """The donations' summed summaries and when the oldest was computed, when the subject is
    big enough (``RAPPORTS_SUMMARY_FROM_DEVICES``, counted from the summaries themselves) and
    every donation has one; (None, None) otherwise: the figures are then computed live, never
    half from summaries and half live. One query."""
    if not donation_ids:
        return None, None
    from ..models import DonationSummary

    summaries = list(
        DonationSummary.objects.filter(donation_id__in=donation_ids).values_list(
            "computed_at", "figures"
        )
    )
    if len(summaries) < len(set(donation_ids)):
        return None, None
    total = empty_figures()
    for _computed_at, figures in summaries:
        add_figures(total, figures)
    devices = sum(sum(row.values()) for row in total["devices"].values())
    if devices < settings.RAPPORTS_SUMMARY_FROM_DEVICES:
        return None, None
    return total, min(computed_at for computed_at, _figures in summaries)


def _device_part(figures: dict, factors: co2.FactorTable) -> dict:
    """The report's device fields (GisementReport keyword arguments) from the figures, whether
    computed live or summed from the summaries: the same rows, in the same order."""
    by_kind_counts = figures["devices"]
    total = sum(sum(row.values()) for row in by_kind_counts.values())
    by_kind = []
    for kind, label in DeviceKind.choices:
        if kind not in by_kind_counts:
            continue
        count = sum(by_kind_counts[kind].values())
        weight = factors.typical_weight_kg.get(kind)
        by_kind.append(
            KindRow(
                kind=kind,
                label=str(label),
                count=count,
                estimated_weight_kg=None if weight is None else weight * count,
                outcomes=dict(by_kind_counts[kind]),
            )
        )
    outcome_totals = {
        code: sum(row.get(code, 0) for row in by_kind_counts.values()) for code in Outcome.ORDER
    }
    outcomes = [
        OutcomeRow(code, str(Outcome.LABELS[code]), outcome_totals[code], percent(n, total))
        for code, n in outcome_totals.items()
    ]
    erasures = [
        ErasureRow(level=level, method=method, result=result, records=records, media=media)
        for level, method, result, records, media in sorted(figures["erasures"])
    ]
    failures = [
        FailureRow(follow_up, str(FAILURE_FOLLOW_UP.get(follow_up, "")), n)
        for follow_up, n in sorted(
            figures["failures"].items(), key=lambda item: (-item[1], item[0])
        )
    ]
    media = figures["media"]

    # CO2e: from the outcome counts, no further query
    co2_rows, co2_total, uncounted = [], Decimal(0), 0
    for row in by_kind:
        second_life = sum(row.outcomes.get(code, 0) for code in Outcome.SECOND_LIFE)
        if not second_life:
            continue
        factor = factors.avoided_kg.get(row.kind)
        avoided = None if factor is None else factor * second_life
        if avoided is None:
            uncounted += second_life
        else:
            co2_total += avoided
        co2_rows.append(Co2Row(row.kind, row.label, second_life, factor, avoided))

    return {
        "devices": total,
        "by_kind": by_kind,
        "outcomes": outcomes,
        "handed_on": sum(outcome_totals[code] for code in Outcome.HANDED_ON),
        "media_total": media["total"],
        "media_erased": media["erased"],
        "media_destroyed": media["destroyed"],
        "media_pending": media["total"] - media["erased"] - media["destroyed"],
        "erasures": erasures,
        "failures": failures,
        "annex_total": sum(row.records for row in erasures),
        "co2_rows": co2_rows,
        "co2_total_kg": co2_total,
        "co2_uncounted": uncounted,
    }


@contextmanager
def analytical_session():
    """Reports scan hundreds of thousands of rows in a few big aggregates. On PostgreSQL
    their hash joins get room in memory instead of spilling to disk, and the JIT compiler
    is off: with such row estimates it compiles every query, which costs more than it saves
    here (measured: 1.2 s on one query). Local to this transaction."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)",
                    [settings.RAPPORTS_WORK_MEM],
                )
        yield


def gisement_report(subject: ReportSubject, period: Period) -> GisementReport:
    """Every figure of the report, in a fixed number of queries (about a dozen)."""
    with analytical_session():
        return _gisement_report(subject, period)


def _gisement_report(subject: ReportSubject, period: Period) -> GisementReport:
    factors = co2.current_table()
    # 1. the donations and what the donors weighed: a few rows (a donation is one pickup).
    # Their ids then filter every figure as an IN list, for which PostgreSQL knows from its
    # statistics how many devices a donation has; behind a subquery or a join it guesses a
    # few thousand and plans nested loops over a million rows.
    donation_rows = list(donations_for(subject, period).values_list("pk", "received_weight_kg"))
    donation_ids = [pk for pk, _weight in donation_rows]
    weights = [weight for _pk, weight in donation_rows if weight is not None]
    # 2-5. the device figures: summed from each donation's summary for a big subject (all of
    # them summarised), else computed live.
    figures, computed_at = _summed_figures(donation_ids)
    if figures is None:
        figures = device_figures(donation_ids)
    devices = _device_part(figures, factors)

    # 6. households equipped: categories, then territories
    # One pass: per commune, the households and each category; the totals are their sums (a
    # household lives in one commune).
    households = _equipped_households(donation_ids)
    by_commune = list(
        households.values("commune__insee_code", "commune__name", "commune__epci__name")
        .annotate(
            n=Count("pk"),
            **{name: Count("pk", filter=Q(**{name: True})) for name in HOUSEHOLD_CATEGORY_FIELDS},
        )
        .order_by("commune__epci__name", "commune__name")
    )
    categories = {
        name: sum(row[name] for row in by_commune) for name in ("n", *HOUSEHOLD_CATEGORY_FIELDS)
    }
    households_by_category = [
        (str(Household._meta.get_field(name).verbose_name), small(categories[name]))
        for name in HOUSEHOLD_CATEGORY_FIELDS
    ]
    territories: dict[str, EpciRow] = {}
    for row in by_commune:
        epci_name = row["commune__epci__name"] or str(_("Hors EPCI connu"))
        epci = territories.setdefault(epci_name, EpciRow(epci_name, 0))
        epci.households += row["n"]
        epci.communes.append(
            TerritoryRow(epci_name, row["commune__name"], row["commune__insee_code"], row["n"])
        )

    # 7. training and autonomy (ateliers selectors), for these households only
    household_ids = households.values("pk")
    trained, training = ateliers_selectors.training_attended(household_ids)
    progress = ateliers_selectors.progress(households=household_ids)

    return GisementReport(
        subject=subject,
        period=period,
        generated_at=timezone.now(),
        donations=len(donation_rows),
        weighed_kg=sum(weights) if weights else None,
        weighed_donations=len(weights),
        **devices,
        computed_at=computed_at,
        households=categories["n"],
        households_by_category=households_by_category,
        territories=list(territories.values()),
        trained_households=trained,
        training=training,
        progress=progress,
        factors=factors,
    )


# --- the certificate annex ----------------------------------------------------------------------

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


# --- open data -----------------------------------------------------------------------------------


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
