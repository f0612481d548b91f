"""The gisement report: one gisement, one donation or every gisement of a donor, over a period.
Every figure is aggregated by the database (GROUP BY, conditional counts): the number of
queries is fixed, whatever the number of devices. The report follows every device of the
period's donations to its state today."""

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from acteurs.models import HOUSEHOLD_CATEGORY_FIELDS, Household
from ateliers import selectors as ateliers_selectors
from parc.models import (
    DeviceKind,
    ErasureResult,
    PostSanitizationDestination,
    SanitizationLevel,
    SanitizationMethod,
)

from .. import co2, economics
from ..disclosure import small
from ..models import ReportSubjectKind
from .figures import Outcome, _summed_figures, device_figures, percent
from .households import equipped_households, household_rows
from .scope import Period, ReportSubject, donations_for


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
    # The economics of the report's devices (rapports.economics.cohort_economics).
    economics: object = None
    # When the device figures were computed, if they were summed from the donations'
    # summaries; None when computed live with the report.
    computed_at: dt.datetime | None = None
    # When the households equipped (section 6) were computed, if read from the summary of
    # these donations (HouseholdSummary); None when counted live with the report.
    households_computed_at: dt.datetime | None = None

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
    def reused(self) -> int:
        """Devices given a second life with a household: on loan, or handed on (sold, given,
        kept at the end of a loan) — the devices the CO2e figure counts."""
        return sum(row.count for row in self.outcomes if row.code in Outcome.SECOND_LIFE)

    @property
    def reused_percent(self):
        return percent(self.reused, self.devices)

    @property
    def media_certified(self) -> int:
        """Storage media whose data is gone, each with its certificate in the annex: erased
        with success, or destroyed."""
        return self.media_erased + self.media_destroyed

    @property
    def co2_total_t(self) -> Decimal:
        return self.co2_total_kg / 1000

    @property
    def households_shown(self):
        return small(self.households)

    @property
    def trained_shown(self):
        return small(self.trained_households)

    @property
    def outcome_chart(self) -> list[tuple[str, int]]:
        return [(str(row.label), row.count) for row in self.outcomes]


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
    # The fundings of the donations' gisements come with them (a LEFT JOIN: a gisement has a
    # few), for the economics below: no query of their own.
    rows = list(
        donations_for(subject, period).values_list(
            "pk",
            "received_weight_kg",
            "logistics_cost",
            "gisement__fundings__pk",
            "gisement__fundings__amount",
            "gisement__fundings__starts_on",
            "gisement__fundings__ends_on",
        )
    )
    donation_rows = list({row[0]: row for row in rows}.values())
    fundings = {row[3]: row[4:7] for row in rows if row[3] is not None}
    donation_ids = [row[0] for row in donation_rows]
    weights = [row[1] for row in donation_rows if row[1] is not None]
    # 2-5. the device figures: summed from each donation's summary for a big subject (all of
    # them summarised), else computed live.
    figures, computed_at = _summed_figures(donation_ids)
    if figures is None:
        figures = device_figures(donation_ids)
    devices = _device_part(figures, factors)

    # 6. households equipped: categories, then territories. One row per commune with the
    # households and each category (a household lives in one commune: the totals are their
    # sums), from the summary of exactly these donations for a big subject, else live.
    by_commune, households_computed_at = household_rows(donation_ids, devices["devices"])
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
    household_ids = equipped_households(donation_ids).values("pk")
    trained, training = ateliers_selectors.training_attended(household_ids)
    progress = ateliers_selectors.progress(households=household_ids)

    # 8. the economics of these devices (summed with the device figures, live or from the
    # donations' summaries: no query of its own); fundings are per gisement, so a
    # donation's report has none.
    cost = economics.cohort_economics(
        figures.get("economics", {}),
        logistics=sum((row[2] or Decimal(0) for row in donation_rows), Decimal(0)),
        fundings=None if subject.kind == ReportSubjectKind.DONATION else list(fundings.values()),
        start=period.start,
        end=period.end,
    )

    return GisementReport(
        subject=subject,
        period=period,
        generated_at=timezone.now(),
        donations=len(donation_rows),
        weighed_kg=sum(weights) if weights else None,
        weighed_donations=len(weights),
        **devices,
        computed_at=computed_at,
        households_computed_at=households_computed_at,
        households=categories["n"],
        households_by_category=households_by_category,
        territories=list(territories.values()),
        trained_households=trained,
        training=training,
        progress=progress,
        factors=factors,
        economics=cost,
    )
