"""The device figures of a set of donations (kind × outcome, media, erasures, failures), each
aggregated by the database; additive across donations, so a report over many donations can
sum each donation's stored summary (``DonationSummary``) instead of reading every device."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, Value, When
from django.utils.translation import gettext_lazy as _

from parc.models import (
    Device,
    ErasureRecord,
    ErasureResult,
    PostSanitizationDestination,
    SanitizationLevel,
    State,
    StorageMedium,
)

from .. import economics


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


# --- the device figures: additive across donations ---------------------------------------------
# Devices by kind × outcome, storage media, erasures by level × method × result and failures
# by follow-up add up across donations: a medium belongs to one device, a device to one
# donation. They are computed by ``device_figures`` for a list of donations, live or one
# donation at a time into a ``DonationSummary`` (rapports.services), and stored as plain JSON
# that ``add_figures`` sums; ``_device_part`` turns either into the report's rows.


def device_figures(donation_ids: list[int]) -> dict:
    """The additive device figures of these donations, in four grouped queries."""
    devices = Device.objects.filter(donation_id__in=donation_ids)

    # devices by kind × outcome, with their economics (rapports.economics.cohort_sums)
    by_kind: dict[str, dict[str, int]] = {}
    cohort: dict[str, str] = {}
    for cell in (
        devices.annotate(outcome=outcome_expression())
        .values("kind", "outcome")
        .annotate(n=Count("pk"), **economics.cohort_sums())
        .order_by()
    ):
        by_kind.setdefault(cell["kind"], {})[cell["outcome"]] = cell["n"]
        economics.add_cohort(cohort, {k: v for k, v in cell.items() if k.startswith("economics_")})

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
        "economics": cohort,
    }


def empty_figures() -> dict:
    return {
        "devices": {},
        "media": {"total": 0, "erased": 0, "destroyed": 0},
        "erasures": [],
        "failures": {},
        "economics": {},
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
    economics.add_cohort(total["economics"], figures.get("economics", {}))
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
    if any("economics" not in figures for _computed_at, figures in summaries):
        return None, None  # a summary from before the economics: computed live until refreshed
    total = empty_figures()
    for _computed_at, figures in summaries:
        add_figures(total, figures)
    devices = sum(sum(row.values()) for row in total["devices"].values())
    if devices < settings.RAPPORTS_SUMMARY_FROM_DEVICES:
        return None, None
    return total, min(computed_at for computed_at, _figures in summaries)
