"""« Modèle économique » (issue 15): what the chain costs and what covers it, per kind of
device and per gisement, over a period.

- **Work time**: each stage ends with a device event (``parc.models.WorkStage``: register,
  wipe, mark_ready); a stage ended in the period costs the technician's own figure for that
  device (``WorkTime``) or else the coordination's default for the stage and kind
  (``StageTime``, else ``DEFAULT_STAGE_MINUTES``), at the owner's hourly cost
  (``Organisation.hourly_cost``).
- **Parts**: the parts used in the period (``PartUse``: quantity × the unit cost of the
  day). **Logistics**: the donations received in the period (``Donation.logistics_cost``),
  shared between kinds by the devices made ready.
- **Revenue**: sales in the period, loan fees (« frais de prêt », ``Loan.fee_amount`` of
  the fees paid in the period, ``fee_paid_on``: at the handover or later, vouchers included;
  a refunded fee, ``fee_refunded_on``, is no revenue at all), deposits kept
  (loans declared lost in the period whose deposit was paid and not given back).
  **Funding**: each ``Funding`` with an amount and both dates counts for the days of the
  period it covers (amount × days in the period ÷ days of the funding).
- **Coverage** = (revenue + funding) ÷ cost. Per gisement, the revenue of its devices and
  the fundings of that gisement only (a funding of a refurbisher's whole activity is not
  shared out between its gisements). **Break-even price** of a kind = its cost per
  device made ready minus the funding, loan fees and deposits per device made ready,
  compared with the legal cap of the kind (décret n° 2022-1434). **Devices per
  technician-month** = devices made ready ÷ (hours worked ÷ 151.67).

Eleven queries whatever the size, each a GROUP BY over the period's rows. The stages ended
come from the daily sums ``StageWorkDay`` (rolled up each night by
``rapports.services.roll_up_stage_work``) and, for the days not rolled up yet, from the
device events (index ``event_at_action``): a year at a million devices is half a million
events, too many to scan for each page. Aggregates only: no device, person or household is
named.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from acteurs.models import Organisation
from dons.models import DeviceKind, Donation, Gisement
from parc.models import (
    DEFAULT_STAGE_MINUTES,
    DeviceEvent,
    PartUse,
    StageTime,
    WorkStage,
    WorkTime,
)
from prets.models import Loan, LoanState, Sale
from prets.pricing import LEGAL_CAPS

from .models import Funding, StageWorkDay

HOURS_PER_MONTH = Decimal("151.67")  # 35 h a week, the legal monthly hours in France
CENT = Decimal("0.01")


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def day_bounds(start: dt.date, end: dt.date):
    tz = timezone.get_current_timezone()
    first = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return first, after


def _among(field_name: str, ids) -> Q:
    return Q() if ids is None else Q(**{f"{field_name}__in": ids})


class CostAndRevenue:
    """What a line of the dashboard and its total both derive from their sums."""

    labour: Decimal
    parts: Decimal
    logistics: Decimal
    sales: Decimal
    loan_fees: Decimal
    deposits_kept: Decimal
    funding: Decimal

    @property
    def cost(self) -> Decimal:
        return _money(self.labour + self.parts + self.logistics)

    @property
    def revenue(self) -> Decimal:
        return _money(self.sales + self.loan_fees + self.deposits_kept)

    @property
    def coverage(self) -> Decimal | None:
        """(Revenue + funding) ÷ cost, as a percentage with one decimal."""
        if not self.cost:
            return None
        return (100 * (self.revenue + self.funding) / self.cost).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )


@dataclass
class Line(CostAndRevenue):
    """The figures of one kind or one gisement."""

    key: object
    label: str
    ready: int = 0
    minutes: int = 0
    labour: Decimal = Decimal("0")
    parts: Decimal = Decimal("0")
    logistics: Decimal = Decimal("0")
    sales: Decimal = Decimal("0")
    sold: int = 0
    loan_fees: Decimal = Decimal("0")
    deposits_kept: Decimal = Decimal("0")
    funding: Decimal = Decimal("0")
    cap: Decimal | None = None
    break_even: Decimal | None = None

    @property
    def cost_per_ready(self) -> Decimal | None:
        return _money(self.cost / self.ready) if self.ready else None

    @property
    def within_cap(self) -> bool | None:
        if self.break_even is None or self.cap is None:
            return None
        return self.break_even <= self.cap


@dataclass
class Economics(CostAndRevenue):
    start: dt.date
    end: dt.date
    kinds: list[Line]
    gisements: list[Line]
    ready: int
    minutes: int
    labour: Decimal
    parts: Decimal
    logistics: Decimal
    sales: Decimal
    loan_fees: Decimal
    deposits_kept: Decimal
    funding: Decimal
    supported_minutes: int
    supported_by_stage: dict[str, int]
    inclusive_organisations: list[str]
    missing_hourly_cost: list[str] = field(default_factory=list)

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / 60).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def supported_hours(self) -> Decimal:
        return (Decimal(self.supported_minutes) / 60).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def devices_per_technician_month(self) -> Decimal | None:
        if not self.minutes:
            return None
        months = Decimal(self.minutes) / 60 / HOURS_PER_MONTH
        return (self.ready / months).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def funding_share(amount: Decimal, starts_on, ends_on, start: dt.date, end: dt.date) -> Decimal:
    """The part of a funding that falls in the period, spread evenly over its days."""
    first, last = max(starts_on, start), min(ends_on, end)
    if last < first:
        return Decimal("0")
    days = (ends_on - starts_on).days + 1
    return Decimal(amount) * ((last - first).days + 1) / days


def stages_ended(owner_ids, start: dt.date, end: dt.date) -> list[tuple[tuple, int]]:
    """``((owner_id, kind, gisement_id, stage), devices)`` for the stages of work ended from
    ``start`` to ``end``: the days rolled up (``StageWorkDay``, the night after) from their
    sums, the days since from the device events. A key may come twice (once from each)."""
    rolled_through = StageWorkDay.objects.aggregate(last=Max("day"))["last"]
    rows: list[tuple[tuple, int]] = []
    if rolled_through is not None and rolled_through >= start:
        rolled = (
            StageWorkDay.objects.filter(
                _among("owner_id", owner_ids), day__gte=start, day__lte=min(end, rolled_through)
            )
            .values("owner_id", "kind", "gisement_id", "stage")
            .annotate(n=Sum("devices"))
            .order_by()
        )
        rows += [
            ((row["owner_id"], row["kind"], row["gisement_id"], row["stage"]), row["n"])
            for row in rolled
        ]
        start = rolled_through + dt.timedelta(days=1)
    if start > end:
        return rows
    first, after = day_bounds(start, end)
    events = (
        DeviceEvent.objects.filter(
            _among("device__owner_id", owner_ids),
            action__in=WorkStage.values,
            at__gte=first,
            at__lt=after,
        )
        .values("device__owner_id", "device__kind", "device__donation__gisement_id", "action")
        .annotate(n=Count("id"))
        .order_by()
    )
    rows += [
        (
            (
                row["device__owner_id"],
                row["device__kind"],
                row["device__donation__gisement_id"],
                row["action"],
            ),
            row["n"],
        )
        for row in events
    ]
    return rows


def economics(owner_ids, start: dt.date, end: dt.date) -> Economics:
    """Every figure of the dashboard for these refurbishers (None: all)."""
    first, after = day_bounds(start, end)
    kind_labels = dict(DeviceKind.choices)
    stage_values = list(WorkStage.values)

    # 1. The stages ended in the period, by owner, kind, gisement and stage.
    events = stages_ended(owner_ids, start, end)
    # 2. The technicians' own figures recorded in the period.
    overrides = (
        WorkTime.objects.filter(
            _among("device__owner_id", owner_ids), recorded_at__gte=first, recorded_at__lt=after
        )
        .values("device__owner_id", "device__kind", "device__donation__gisement_id", "stage")
        .annotate(n=Count("id"), minutes=Sum("minutes"), supported=Sum("supported_minutes"))
        .order_by()
    )
    # 3. The coordination's defaults.
    defaults = {(row.stage, row.kind): row.minutes for row in StageTime.objects.all()}

    counts: dict[tuple, int] = defaultdict(int)
    for key, n in events:
        counts[key] += n
    own: dict[tuple, tuple[int, int]] = {}
    supported_by_stage = dict.fromkeys(stage_values, 0)
    for row in overrides:
        key = (
            row["device__owner_id"],
            row["device__kind"],
            row["device__donation__gisement_id"],
            row["stage"],
        )
        own[key] = (row["n"], row["minutes"] or 0)
        supported_by_stage[row["stage"]] += row["supported"] or 0

    # 4. The owners' hourly costs.
    owners = {key[0] for key in (*counts, *own)}
    organisations = {
        o["pk"]: o
        for o in Organisation.objects.filter(pk__in=owners).values(
            "pk", "name", "hourly_cost", "inclusive_status"
        )
    }

    kinds: dict[str, Line] = {}
    gisements: dict[object, Line] = {}

    def kind_line(kind):
        if kind not in kinds:
            kinds[kind] = Line(kind, str(kind_labels.get(kind, kind)), cap=LEGAL_CAPS.get(kind))
        return kinds[kind]

    def gisement_line(gisement_id):
        if gisement_id not in gisements:
            gisements[gisement_id] = Line(gisement_id, "")
        return gisements[gisement_id]

    missing_cost = set()
    for key in {*counts, *own}:
        owner, kind, gisement_id, stage = key
        n_events = counts.get(key, 0)
        n_own, own_minutes = own.get(key, (0, 0))
        default = defaults.get((stage, kind), DEFAULT_STAGE_MINUTES[stage])
        minutes = max(0, n_events - n_own) * default + own_minutes
        hourly = organisations.get(owner, {}).get("hourly_cost")
        if hourly is None and minutes:
            missing_cost.add(organisations.get(owner, {}).get("name", "?"))
        labour = Decimal(minutes) / 60 * (hourly or 0)
        for line in (kind_line(kind), gisement_line(gisement_id)):
            line.minutes += minutes
            line.labour += labour
            if stage == WorkStage.REFURBISHMENT:
                line.ready += n_events

    # 5. Parts used in the period.
    parts = (
        PartUse.objects.filter(
            _among("device__owner_id", owner_ids), used_at__gte=first, used_at__lt=after
        )
        .values("device__kind", "device__donation__gisement_id")
        .annotate(
            cost=Sum(
                ExpressionWrapper(
                    F("quantity") * F("unit_cost"),
                    output_field=DecimalField(max_digits=14, decimal_places=2),
                )
            )
        )
        .order_by()
    )
    for row in parts:
        cost = Decimal(row["cost"] or 0)
        kind_line(row["device__kind"]).parts += cost
        gisement_line(row["device__donation__gisement_id"]).parts += cost

    # 6. Logistics of the donations received in the period, by gisement.
    logistics_total = Decimal("0")
    for row in (
        Donation.objects.filter(
            _among("gisement__refurbisher_id", owner_ids),
            received_on__gte=start,
            received_on__lte=end,
        )
        .values("gisement_id")
        .annotate(cost=Sum("logistics_cost"))
        .order_by()
    ):
        cost = Decimal(row["cost"] or 0)
        logistics_total += cost
        gisement_line(row["gisement_id"]).logistics += cost
    ready_total = sum(line.ready for line in kinds.values())
    if ready_total:
        for line in kinds.values():
            line.logistics = logistics_total * line.ready / ready_total

    # 7. Sales in the period.
    sales_total = Decimal("0")
    for row in (
        Sale.objects.filter(
            _among("organisation_id", owner_ids), sold_on__gte=start, sold_on__lte=end
        )
        .values("device__kind", "device__donation__gisement_id")
        .annotate(total=Sum("price"), n=Count("id"))
        .order_by()
    ):
        total = Decimal(row["total"] or 0)
        sales_total += total
        for line in (
            kind_line(row["device__kind"]),
            gisement_line(row["device__donation__gisement_id"]),
        ):
            line.sales += total
            line.sold += row["n"]

    # 8. Loan fees paid in the period and not refunded; deposits kept: loans lost in the
    # period, deposit paid and not given back.
    fees_paid = Q(fee_paid_on__gte=start, fee_paid_on__lte=end, fee_refunded_on__isnull=True)
    fees = Sum("fee_amount", filter=fees_paid)
    kept = Sum(
        "deposit_amount",
        filter=Q(
            state=LoanState.LOST,
            closed_on__gte=start,
            closed_on__lte=end,
            deposit_paid_on__isnull=False,
            deposit_refunded_on__isnull=True,
        ),
    )
    fees_total = deposits = Decimal("0")
    for row in (
        Loan.objects.filter(_among("organisation_id", owner_ids))
        .filter(
            (fees_paid & Q(fee_amount__gt=0))
            | Q(
                state=LoanState.LOST,
                closed_on__gte=start,
                closed_on__lte=end,
                deposit_paid_on__isnull=False,
                deposit_refunded_on__isnull=True,
            )
        )
        .values("device__kind", "device__donation__gisement_id")
        .annotate(fees=fees, kept=kept)
        .order_by()
    ):
        fee, keep = Decimal(row["fees"] or 0), Decimal(row["kept"] or 0)
        fees_total += fee
        deposits += keep
        for line in (
            kind_line(row["device__kind"]),
            gisement_line(row["device__donation__gisement_id"]),
        ):
            line.loan_fees += fee
            line.deposits_kept += keep

    # 9. Funding for the period.
    funding_total = Decimal("0")
    fundings = Funding.objects.filter(
        amount__gt=0,
        starts_on__isnull=False,
        ends_on__isnull=False,
        starts_on__lte=end,
        ends_on__gte=start,
    )
    if owner_ids is not None:
        fundings = fundings.filter(
            Q(refurbisher_id__in=owner_ids) | Q(gisement__refurbisher_id__in=owner_ids)
        )
    for amount, starts_on, ends_on, gisement_id in fundings.values_list(
        "amount", "starts_on", "ends_on", "gisement_id"
    ):
        share = funding_share(amount, starts_on, ends_on, start, end)
        funding_total += share
        if gisement_id is not None:
            gisement_line(gisement_id).funding += share
    funding_total = _money(funding_total)

    # Break-even: the cost per device made ready, less funding, loan fees and deposits per
    # device.
    support_per_ready = (
        (funding_total + fees_total + deposits) / ready_total if ready_total else None
    )
    for line in kinds.values():
        line.labour, line.parts, line.logistics = (
            _money(line.labour),
            _money(line.parts),
            _money(line.logistics),
        )
        if line.ready and support_per_ready is not None:
            line.break_even = max(Decimal("0"), _money(line.cost_per_ready - support_per_ready))

    # 10. The gisements' names.

    names = dict(
        Gisement.objects.filter(pk__in=[k for k in gisements if k is not None]).values_list(
            "pk", "name"
        )
    )
    for key, line in gisements.items():
        line.label = names.get(key, "") if key is not None else "—"
        line.labour, line.parts, line.logistics, line.funding = (
            _money(line.labour),
            _money(line.parts),
            _money(line.logistics),
            _money(line.funding),
        )

    inclusive = sorted(o["name"] for o in organisations.values() if o["inclusive_status"])
    kind_order = {kind: index for index, kind in enumerate(kind_labels)}
    return Economics(
        start=start,
        end=end,
        kinds=sorted(kinds.values(), key=lambda line: kind_order.get(line.key, 99)),
        gisements=sorted(gisements.values(), key=lambda line: (line.key is None, line.label)),
        ready=ready_total,
        minutes=sum(line.minutes for line in kinds.values()),
        labour=_money(sum((line.labour for line in kinds.values()), Decimal("0"))),
        parts=_money(sum((line.parts for line in kinds.values()), Decimal("0"))),
        logistics=_money(logistics_total),
        sales=_money(sales_total),
        loan_fees=_money(fees_total),
        deposits_kept=_money(deposits),
        funding=funding_total,
        supported_minutes=sum(supported_by_stage.values()),
        supported_by_stage=supported_by_stage,
        inclusive_organisations=inclusive,
        missing_hourly_cost=sorted(missing_cost),
    )


# --- one gisement's devices, for the funder's report ---------------------------------------


@dataclass
class CohortEconomics:
    """The economics of the devices of a report (one gisement, one donation or a donor's
    gisements), followed to today like the rest of the report: their work, parts and the
    logistics of their donations; what their sales, loan fees and kept deposits brought; the
    fundings of these gisements for the report's period. Aggregates only."""

    ready: int
    labour: Decimal
    parts: Decimal
    logistics: Decimal
    sales: Decimal
    loan_fees: Decimal
    deposits_kept: Decimal
    funding: Decimal | None  # None: a donation's report (fundings are per gisement)
    payments: int  # sales, loan fees and kept deposits: each a household's payment

    @property
    def cost(self) -> Decimal:
        return _money(self.labour + self.parts + self.logistics)

    @property
    def cost_per_ready(self) -> Decimal | None:
        return _money(self.cost / self.ready) if self.ready else None

    @property
    def revenue_hidden(self) -> bool:
        """From one to four payments, the revenue would tell what a few households paid:
        hidden, and the coverage with it (it would give the revenue back)."""
        return 0 < self.payments < 5

    @property
    def revenue(self) -> Decimal:
        return _money(self.sales + self.loan_fees + self.deposits_kept)

    @property
    def coverage(self) -> Decimal | None:
        if not self.cost or self.revenue_hidden:
            return None
        return (100 * (self.revenue + (self.funding or 0)) / self.cost).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )


def _count(model, **where):
    query = (
        model.objects.filter(device=OuterRef("pk"), **where)
        .order_by()
        .values("device")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(query), 0)


def _total(model, expression, **where):
    query = (
        model.objects.filter(device=OuterRef("pk"), **where)
        .order_by()
        .values("device")
        .annotate(total=Sum(expression))
        .values("total")
    )
    return Coalesce(
        Subquery(query), Decimal("0"), output_field=DecimalField(max_digits=14, decimal_places=2)
    )


def cohort_sums() -> dict:
    """The economics of devices as aggregates over a ``Device`` queryset (added to the
    report's device figures, so summed per donation into its summary): per device, each
    stage's minutes (the technician's own figure, else the coordination's default for the
    stage and kind, else ``DEFAULT_STAGE_MINUTES``) × its owner's hourly cost, its parts,
    sales and loans, each read by a correlated subquery (so no join multiplies another)."""
    money = DecimalField(max_digits=14, decimal_places=2)
    minutes = None
    per_device = {}
    for stage in WorkStage.values:
        events = _count(DeviceEvent, action=stage)
        own = _count(WorkTime, stage=stage)
        default = Coalesce(
            Subquery(
                StageTime.objects.filter(stage=stage, kind=OuterRef("kind")).values("minutes")[:1]
            ),
            Value(DEFAULT_STAGE_MINUTES[stage]),
            output_field=IntegerField(),
        )
        stage_minutes = ExpressionWrapper(
            Greatest(events - own, Value(0)) * default
            + _total(WorkTime, F("minutes"), stage=stage),
            output_field=money,
        )
        minutes = stage_minutes if minutes is None else minutes + stage_minutes
        if stage == WorkStage.REFURBISHMENT:
            per_device["ready"] = events
    per_device["minute_costs"] = ExpressionWrapper(
        minutes * Coalesce(F("owner__hourly_cost"), Value(Decimal("0")), output_field=money),
        output_field=money,
    )
    parts_cost = ExpressionWrapper(F("quantity") * F("unit_cost"), output_field=money)
    per_device.update(
        parts=_total(PartUse, parts_cost),
        sales=_total(Sale, F("price")),
        sold=_count(Sale),
        fees=_total(Loan, F("fee_amount"), **FEE_KEPT),
        fee_loans=_count(Loan, **FEE_KEPT),
        kept=_total(Loan, F("deposit_amount"), **KEPT),
        kept_loans=_count(Loan, **KEPT),
    )
    return {f"economics_{name}": Sum(expression) for name, expression in per_device.items()}


def add_cohort(total: dict, row: dict) -> dict:
    """Add a row of ``cohort_sums`` (or another total) to ``total``: decimal strings, so the
    figures go into a donation's JSON summary as they are."""
    for key, value in row.items():
        name = key.removeprefix("economics_")
        total[name] = str(Decimal(total.get(name) or 0) + Decimal(str(value or 0)))
    return total


def cohort_economics(
    figures: dict,
    *,
    logistics: Decimal,
    fundings: list[tuple] | None,
    start: dt.date | None,
    end: dt.date | None,
) -> CohortEconomics:
    """The report's economics from the sums of ``cohort_sums`` (``figures``), the donations'
    logistics and the gisements' fundings (amount, first and last day; None for
    a donation's report): a funding counts for the days of the report's period it covers,
    all of it for an open period."""

    def total(name) -> Decimal:
        return Decimal(str(figures.get(name) or 0))

    funding = None
    if fundings is not None:
        funding = _money(
            sum(
                (
                    funding_share(amount, first, last, start or first, end or last)
                    for amount, first, last in fundings
                    if amount and first and last
                ),
                Decimal("0"),
            )
        )
    return CohortEconomics(
        ready=int(total("ready")),
        labour=_money(total("minute_costs") / 60),
        parts=_money(total("parts")),
        logistics=_money(logistics),
        sales=_money(total("sales")),
        loan_fees=_money(total("fees")),
        deposits_kept=_money(total("kept")),
        funding=funding,
        payments=int(total("sold") + total("fee_loans") + total("kept_loans")),
    )


# A deposit kept: the loan was lost, its deposit paid and never given back.
KEPT = {
    "state": LoanState.LOST,
    "deposit_paid_on__isnull": False,
    "deposit_refunded_on__isnull": True,
}
# A loan fee that is revenue: paid, and not given back.
FEE_KEPT = {
    "fee_amount__gt": 0,
    "fee_paid_on__isnull": False,
    "fee_refunded_on__isnull": True,
}
