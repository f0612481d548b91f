"""Reads of the loan scheme, scoped to what the user may see. Views never build queries.

- Requests, loans and sales are seen by the household's side (the prescribing roles of the
  household's organisation) and by the association's side (staff and admins of the
  refurbishing organisation the request is addressed to). Nobody else: another
  organisation's row is a 404, never a 403.
- A household's file (eligibility, requests, loans, export) follows the same rule: staff of
  an association see the households of the requests addressed to them.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.http import Http404
from django.utils import timezone

from acteurs.models import Household, Organisation
from ateliers.selectors import attended_since
from parc.models import Device, DeviceKind, State

from .models import (
    Allocation,
    AllocationStatus,
    DeviceRequest,
    EligibilityCheck,
    EligibilityCriterion,
    FollowUpKind,
    Loan,
    LoanFollowUp,
    LoanState,
    Need,
    RequestEvent,
    RequestState,
    Sale,
)
from .permissions import desk_organisation_ids, prescribing_organisation_ids

SUGGESTION_LIMIT = 8


def _scope(user) -> Q:
    return Q(prescriber_org_id__in=prescribing_organisation_ids(user)) | Q(
        refurbisher_id__in=desk_organisation_ids(user)
    )


def requests_visible_to(user) -> QuerySet[DeviceRequest]:
    return DeviceRequest.objects.filter(_scope(user))


def _with_active_allocation(queryset):
    active = Allocation.objects.filter(status=AllocationStatus.ACTIVE).select_related("device")
    return queryset.prefetch_related(
        Prefetch("allocations", queryset=active, to_attr="active_allocations")
    )


def request_list(user, *, state: str = "", q: str = "") -> QuerySet[DeviceRequest]:
    """The prescriber's side: the requests of their organisations' households."""
    queryset = DeviceRequest.objects.filter(
        prescriber_org_id__in=prescribing_organisation_ids(user)
    ).select_related("household", "refurbisher", "created_by")
    if state:
        queryset = queryset.filter(state=state)
    if q:
        queryset = queryset.filter(household__name__icontains=q.strip())
    return queryset.order_by("-id")


def request_queue(user, *, state: str = RequestState.SUBMITTED) -> QuerySet[DeviceRequest]:
    """The association's incoming queue: most urgent first, then oldest (index
    ``request_queue``)."""
    queryset = DeviceRequest.objects.filter(
        refurbisher_id__in=desk_organisation_ids(user), state=state
    ).select_related("household__commune", "prescriber_org", "created_by", "training")
    return _with_active_allocation(queryset).order_by("-urgency", "submitted_at", "id")


def request_for(user, pk: int) -> DeviceRequest:
    queryset = requests_visible_to(user).select_related(
        "household__commune",
        "household__organisation",
        "prescriber_org",
        "refurbisher",
        "created_by",
        "training",
        "eligibility__criterion",
        "eligibility__checked_by",
    )
    queryset = _with_active_allocation(queryset)
    try:
        return queryset.get(pk=pk)
    except DeviceRequest.DoesNotExist:
        raise Http404 from None


def request_history(request: DeviceRequest) -> list[RequestEvent]:
    return list(request.events.select_related("actor").order_by("-id")[:50])


def active_allocation(request: DeviceRequest) -> Allocation | None:
    allocations = getattr(request, "active_allocations", None)
    if allocations is None:
        return (
            request.allocations.filter(status=AllocationStatus.ACTIVE)
            .select_related("device")
            .first()
        )
    return allocations[0] if allocations else None


def suggested_devices(request: DeviceRequest, *, limit: int = SUGGESTION_LIMIT) -> list[Device]:
    """Ready devices of the association for this request: the kind asked for, best grade
    first, longest in stock first. One range of the partial index ``prets_device_ready_pick``
    (owner, kind, grade, state_changed_at, id) WHERE state = 'ready', read up to LIMIT."""
    return list(
        Device.objects.filter(
            owner_id=request.refurbisher_id, state=State.READY, kind=request.device_kind
        )
        .select_related("location")
        .order_by("grade", "state_changed_at", "id")[:limit]
    )


def ready_device_by_code(request: DeviceRequest, code: str) -> Device | None:
    return Device.objects.filter(owner_id=request.refurbisher_id, public_code=code).first()


# --- loans ----------------------------------------------------------------------------------


def _loan_scope(user) -> Q:
    return Q(request__prescriber_org_id__in=prescribing_organisation_ids(user)) | Q(
        organisation_id__in=desk_organisation_ids(user)
    )


def loans_visible_to(user) -> QuerySet[Loan]:
    return Loan.objects.filter(_loan_scope(user))


def loan_list(user, *, filter: str = "") -> QuerySet[Loan]:
    today = timezone.localdate()
    queryset = loans_visible_to(user).select_related("household", "device", "organisation")
    if filter == "overdue":
        queryset = queryset.filter(state=LoanState.OPEN, due_on__lt=today)
    elif filter == "open":
        queryset = queryset.filter(state=LoanState.OPEN)
    elif filter == "closed":
        queryset = queryset.exclude(state=LoanState.OPEN)
    return queryset.order_by("due_on", "id") if filter != "closed" else queryset.order_by("-id")


def loan_for(user, pk: int) -> Loan:
    queryset = loans_visible_to(user).select_related(
        "household__commune",
        "device",
        "organisation__commune",
        "request__created_by",
        "request__prescriber_org",
        "started_by",
        "inspection",
    )
    try:
        return queryset.get(pk=pk)
    except Loan.DoesNotExist:
        raise Http404 from None


def loan_follow_ups(loan: Loan):
    return list(loan.follow_ups.select_related("by").order_by("-on", "-id"))


def loan_history(loan: Loan):
    return list(loan.events.select_related("actor").order_by("-id")[:50])


def sale_for(user, pk: int) -> Sale:
    queryset = Sale.objects.filter(
        Q(request__prescriber_org_id__in=prescribing_organisation_ids(user))
        | Q(organisation_id__in=desk_organisation_ids(user))
    ).select_related("device", "organisation__commune", "request", "sold_by", "household")
    try:
        return queryset.get(pk=pk)
    except Sale.DoesNotExist:
        raise Http404 from None


# --- households -----------------------------------------------------------------------------


def households_visible_to(user) -> QuerySet[Household]:
    """The prescribing side sees its organisations' households; the association's staff the
    households of the requests addressed to them."""
    addressed = DeviceRequest.objects.filter(
        household=OuterRef("pk"), refurbisher_id__in=desk_organisation_ids(user)
    )
    return Household.objects.filter(
        Q(organisation_id__in=prescribing_organisation_ids(user)) | Exists(addressed)
    )


def household_file(user, pk: int) -> Household:
    try:
        return (
            households_visible_to(user)
            .select_related("commune", "organisation", "anonymisation")
            .get(pk=pk)
        )
    except Household.DoesNotExist:
        raise Http404 from None


def household_for_prescriber(user, pk: int) -> Household:
    """A household the user's organisation follows (requests, eligibility, export, erasure)."""
    try:
        return (
            Household.objects.filter(organisation_id__in=prescribing_organisation_ids(user))
            .select_related("commune", "organisation", "anonymisation")
            .get(pk=pk)
        )
    except Household.DoesNotExist:
        raise Http404 from None


def households_for_request_form(user) -> QuerySet[Household]:
    return (
        Household.objects.filter(organisation_id__in=prescribing_organisation_ids(user))
        .filter(anonymisation__isnull=True)
        .order_by("name", "id")
    )


def eligibility_checks(household: Household) -> list[EligibilityCheck]:
    return list(
        household.eligibility_checks.select_related("criterion", "checked_by").order_by(
            "-checked_on", "-id"
        )
    )


def valid_eligibility_checks(household_id: int, day: dt.date | None = None):
    return (
        EligibilityCheck.objects.filter(
            household_id=household_id, valid_until__gte=day or timezone.localdate()
        )
        .select_related("criterion")
        .order_by("-valid_until", "-id")
    )


def household_requests(user, household: Household):
    return (
        requests_visible_to(user)
        .filter(household=household)
        .select_related("refurbisher")
        .order_by("-id")
    )


def household_loans(user, household: Household):
    return loans_visible_to(user).filter(household=household).select_related("device")


def active_criteria() -> QuerySet[EligibilityCriterion]:
    return EligibilityCriterion.objects.filter(is_active=True).order_by("position", "label")


def refurbishers() -> QuerySet[Organisation]:
    return Organisation.objects.filter(is_refurbisher=True).order_by("name")


# --- figures for the reports (rapports) -----------------------------------------------------
# Aggregates only: no household is named or counted one by one here. ``refurbisher_ids`` None
# means every organisation (the coordination). Periods are inclusive days, local time.


def _day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Aware datetimes [start 00:00, day after end 00:00) in the site's time zone."""
    first = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    after = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    return first, after


def _among(field: str, ids) -> Q:
    return Q() if ids is None else Q(**{f"{field}__in": ids})


@dataclass
class RequestFigures:
    by_state: dict[str, int]  # requests sent in the period, by their state today
    by_prescriber: list[dict]  # {"name", "total", "accepted", "fulfilled"}, biggest first
    decided: int  # accepted or refused
    accepted: int

    @property
    def total(self) -> int:
        return sum(self.by_state.values())


def request_figures(*, refurbisher_ids, start: dt.date, end: dt.date) -> RequestFigures:
    """Requests sent (``submitted_at``) in the period to these organisations: drafts never
    sent are the prescriber's own work and are not counted. Two queries."""
    first, after = _day_bounds(start, end)
    sent = DeviceRequest.objects.filter(
        _among("refurbisher_id", refurbisher_ids), submitted_at__gte=first, submitted_at__lt=after
    )
    accepted = Q(decided_at__isnull=False) & ~Q(state=RequestState.REJECTED)
    totals = sent.aggregate(
        decided=Count("id", filter=Q(decided_at__isnull=False)),
        accepted=Count("id", filter=accepted),
    )
    by_state = dict.fromkeys(RequestState.values, 0)
    by_prescriber: dict[int, dict] = {}
    rows = (
        sent.values("prescriber_org_id", "prescriber_org__name", "state")
        .annotate(n=Count("id"), accepted=Count("id", filter=accepted))
        .order_by()
    )
    for row in rows:
        by_state[row["state"]] += row["n"]
        entry = by_prescriber.setdefault(
            row["prescriber_org_id"],
            {"name": row["prescriber_org__name"], "total": 0, "accepted": 0, "fulfilled": 0},
        )
        entry["total"] += row["n"]
        entry["accepted"] += row["accepted"]
        if row["state"] == RequestState.FULFILLED:
            entry["fulfilled"] += row["n"]
    return RequestFigures(
        by_state=by_state,
        by_prescriber=sorted(by_prescriber.values(), key=lambda e: (-e["total"], e["name"])),
        decided=totals["decided"],
        accepted=totals["accepted"],
    )


def handovers_with_wait(*, refurbisher_ids, start: dt.date, end: dt.date) -> QuerySet:
    """Requests handed over (fulfilled: lent or sold) in the period, each annotated with
    ``wait``, the time from sending to handover (``closed_at`` is set by ``fulfil``). For a
    percentile computed by the database: nothing is loaded here."""
    first, after = _day_bounds(start, end)
    return DeviceRequest.objects.filter(
        _among("refurbisher_id", refurbisher_ids),
        state=RequestState.FULFILLED,
        submitted_at__isnull=False,
        closed_at__gte=first,
        closed_at__lt=after,
    ).annotate(wait=ExpressionWrapper(F("closed_at") - F("submitted_at"), DurationField()))


@dataclass
class LoanFigures:
    active: int  # open today
    overdue: int  # open today, due date passed
    ended: dict[str, int]  # loans ended in the period by how: returned, transferred, lost
    follow_ups: dict[str, int]  # follow-ups made in the period, by kind
    training_missed: int = 0  # open today, training deadline passed, training not attended

    @property
    def ended_total(self) -> int:
        return sum(self.ended.values())


def loan_figures(
    *, refurbisher_ids, start: dt.date, end: dt.date, today: dt.date | None = None
) -> LoanFigures:
    """Loans of these organisations: open and overdue today, ended in the period, and the
    follow-ups made in the period. Two queries."""
    today = today or timezone.localdate()
    loans = Loan.objects.filter(_among("organisation_id", refurbisher_ids))
    ended_in_period = Q(closed_on__gte=start, closed_on__lte=end)
    figures = loans.aggregate(
        active=Count("id", filter=Q(state=LoanState.OPEN)),
        overdue=Count("id", filter=Q(state=LoanState.OPEN, due_on__lt=today)),
        **{
            state: Count("id", filter=ended_in_period & Q(state=state))
            for state in (LoanState.RETURNED, LoanState.TRANSFERRED, LoanState.LOST)
        },
    )
    follow_ups = dict.fromkeys(FollowUpKind.values, 0)
    rows = (
        LoanFollowUp.objects.filter(
            _among("loan__organisation_id", refurbisher_ids), on__gte=start, on__lte=end
        )
        .values("kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        follow_ups[row["kind"]] = row["n"]
    return LoanFigures(
        training_missed=training_missed(loans, today).count(),
        active=figures["active"],
        overdue=figures["overdue"],
        ended={
            state: figures[state]
            for state in (LoanState.RETURNED, LoanState.TRANSFERRED, LoanState.LOST)
        },
        follow_ups=follow_ups,
    )


@dataclass
class NeedFigure:
    need: str
    label: str
    declared: int  # households equipped in the period who declared this need
    met: int  # of them, equipped with a device meeting it

    @property
    def unmet(self) -> int:
        return self.declared - self.met


def needs_figures(*, refurbisher_ids, start: dt.date, end: dt.date) -> list[NeedFigure]:
    """Needs met and unmet by category, over the devices handed over in the period (the
    allocation keeps what the device met). One query. Never for funders (rapports.access.
    needs_organisations); small counts are hidden by the page."""
    first, after = _day_bounds(start, end)
    rows = Allocation.objects.filter(
        _among("request__refurbisher_id", refurbisher_ids),
        status=AllocationStatus.HANDED_OVER,
        ended_at__gte=first,
        ended_at__lt=after,
    )
    aggregates = {}
    for need in Need:
        rows = rows.alias(
            **{
                f"declared_{need.value}": F("request__needs").bitand(need.value),
                f"met_{need.value}": F("needs_met").bitand(need.value),
            }
        )
        aggregates[f"d{need.value}"] = Count("id", filter=Q(**{f"declared_{need.value}__gt": 0}))
        aggregates[f"m{need.value}"] = Count("id", filter=Q(**{f"met_{need.value}__gt": 0}))
    counts = rows.aggregate(**aggregates)
    return [
        NeedFigure(
            need=str(need.value),
            label=str(need.label),
            declared=counts[f"d{need.value}"],
            met=counts[f"m{need.value}"],
        )
        for need in Need
    ]


def requesting_households(*, refurbisher_ids, start: dt.date, end: dt.date) -> QuerySet:
    """Ids of the households with a request sent in the period (a subquery for the
    workshops' figures: attendance, autonomy progress)."""
    first, after = _day_bounds(start, end)
    return (
        DeviceRequest.objects.filter(
            _among("refurbisher_id", refurbisher_ids),
            submitted_at__gte=first,
            submitted_at__lt=after,
        )
        .order_by()
        .values("household_id")
    )


@dataclass
class HandoverCounts:
    loans: int
    sales: int  # sold at a solidarity price
    gifts: int  # "sold" at 0 €

    @property
    def total(self) -> int:
        return self.loans + self.sales + self.gifts


def handover_counts(*, scope: Q, territory: Q, start: dt.date, end: dt.date) -> HandoverCounts:
    """Devices made accessible to households in the period: loans started and sales (gifts
    at 0 € apart). ``scope`` and ``territory`` are conditions on a Loan or a Sale (both have
    ``organisation``, ``device`` and ``household``), built by the caller. Two queries."""
    loans = Loan.objects.filter(scope, territory, started_on__gte=start, started_on__lte=end)
    sales = Sale.objects.filter(scope, territory, sold_on__gte=start, sold_on__lte=end).aggregate(
        sales=Count("id", filter=Q(price__gt=0)), gifts=Count("id", filter=Q(price=0))
    )
    return HandoverCounts(loans=loans.count(), sales=sales["sales"], gifts=sales["gifts"])


# --- homes (composed in www) -------------------------------------------------------------------

HOME_ROWS = 5
# Loans due within this many days are shown as "due soon" on the team's home.
DUE_SOON_DAYS = 14


@dataclass
class KindBalance:
    kind: str
    label: str
    waiting: int  # accepted requests without a device yet
    ready: int  # devices ready on the shelves


@dataclass
class DeskWork:
    """The association's side: what the team has to do."""

    to_answer: list  # requests sent, most urgent then oldest first (HOME_ROWS)
    to_answer_count: int
    balance: list[KindBalance]  # by kind: requests waiting for a device, devices ready
    overdue: list  # open loans past their due date, oldest due first (HOME_ROWS)
    overdue_count: int
    due_soon: list  # open loans due within DUE_SOON_DAYS (HOME_ROWS)
    due_soon_count: int
    due_soon_until: dt.date
    training_missed: list = None  # open loans past their training deadline (HOME_ROWS)
    training_missed_count: int = 0


def desk_work(user, *, today: dt.date | None = None) -> DeskWork | None:
    """For staff and admins of refurbishing organisations; None for anyone else. Seven
    queries whatever the number of requests, loans and devices (the counts read the
    indexes ``request_queue``, ``loan_org_state_due`` and the device pick index)."""
    org_ids = desk_organisation_ids(user)
    if not org_ids:
        return None
    today = today or timezone.localdate()
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    sent = DeviceRequest.objects.filter(refurbisher_id__in=org_ids, state=RequestState.SUBMITTED)
    to_answer = list(
        sent.select_related("household", "prescriber_org").order_by(
            "-urgency", "submitted_at", "id"
        )[:HOME_ROWS]
    )
    waiting = dict(
        DeviceRequest.objects.filter(refurbisher_id__in=org_ids, state=RequestState.APPROVED)
        .exclude(allocations__status=AllocationStatus.ACTIVE)
        .order_by()
        .values_list("device_kind")
        .annotate(n=Count("id"))
    )
    ready = dict(
        Device.objects.filter(owner_id__in=org_ids, state=State.READY)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("id"))
    )
    kinds = dict(DeviceKind.choices)
    balance = [
        KindBalance(kind, str(label), waiting.get(kind, 0), ready.get(kind, 0))
        for kind, label in kinds.items()
        if waiting.get(kind) or ready.get(kind)
    ]
    open_loans = Loan.objects.filter(organisation_id__in=org_ids, state=LoanState.OPEN)
    counts = open_loans.aggregate(
        overdue=Count("id", filter=Q(due_on__lt=today)),
        due_soon=Count("id", filter=Q(due_on__gte=today, due_on__lte=soon)),
    )
    rows = open_loans.select_related("household", "device").order_by("due_on", "id")
    missed = training_missed(open_loans, today)
    return DeskWork(
        training_missed=list(
            missed.select_related("household", "device").order_by("training_due_on", "id")[
                :HOME_ROWS
            ]
        ),
        training_missed_count=missed.count(),
        to_answer=to_answer,
        to_answer_count=sent.count(),
        balance=balance,
        overdue=list(rows.filter(due_on__lt=today)[:HOME_ROWS]),
        overdue_count=counts["overdue"],
        due_soon=list(rows.filter(due_on__gte=today, due_on__lte=soon)[:HOME_ROWS]),
        due_soon_count=counts["due_soon"],
        due_soon_until=soon,
    )


def training_not_attended():
    """A condition on ``Loan``: the household has not attended the expected training since
    the handover (issue 15: « within N days of handover » tracked)."""
    return ~attended_since(
        OuterRef("household_id"), OuterRef("training_code"), OuterRef("started_on")
    )


def training_missed(loans: QuerySet, today: dt.date) -> QuerySet:
    """Open loans past their training deadline without the training attended (the partial
    index ``loan_open_training_due``)."""
    return loans.filter(
        state=LoanState.OPEN, training_due_on__isnull=False, training_due_on__lt=today
    ).filter(training_not_attended())


def training_status(loan: Loan, today: dt.date | None = None) -> dict | None:
    """What the loan page says of the training deadline: None without one."""
    if loan.training_due_on is None:
        return None
    today = today or timezone.localdate()
    attended = Loan.objects.filter(pk=loan.pk).filter(training_not_attended()).exists() is False
    return {
        "due_on": loan.training_due_on,
        "attended": attended,
        "missed": not attended and loan.training_due_on < today,
        "days_left": (loan.training_due_on - today).days,
    }


@dataclass
class FollowUp:
    """Where a household stands in the loan scheme: its latest request, its current (or
    latest) loan. Either may be None."""

    request: DeviceRequest | None = None
    loan: Loan | None = None


def follow_ups(household_ids, user) -> dict[int, FollowUp]:
    """{household id: FollowUp} for a page of households, as the user's side sees them (the
    requests and loans ``requests_visible_to`` / ``loans_visible_to`` let through). Two
    queries whatever the page (one row per household kept, the latest by id)."""
    household_ids = list(household_ids)
    result = {pk: FollowUp() for pk in household_ids}
    if not household_ids:
        return result
    latest_request = (
        DeviceRequest.objects.filter(household_id=OuterRef("household_id"))
        .order_by("-id")
        .values("id")[:1]
    )
    for request in (
        requests_visible_to(user)
        .filter(household_id__in=household_ids, pk=Subquery(latest_request))
        .select_related("refurbisher")
    ):
        result[request.household_id].request = request
    # The open loan if there is one, else the latest.
    latest_loan = (
        Loan.objects.filter(household_id=OuterRef("household_id"))
        .order_by(
            Case(When(state=LoanState.OPEN, then=Value(0)), default=Value(1)),
            "-id",
        )
        .values("id")[:1]
    )
    for loan in (
        loans_visible_to(user)
        .filter(household_id__in=household_ids, pk=Subquery(latest_loan))
        .select_related("device")
    ):
        result[loan.household_id].loan = loan
    return result


@dataclass
class PrescriberWork:
    """The household's side: the households followed, latest activity first, with their
    request and loan, and what is waiting on whom."""

    households: list  # [(household, FollowUp)] (HOME_ROWS * 2)
    drafts: int  # requests written but not sent
    sent: int  # waiting for the association's answer
    approved: int  # accepted, waiting for a device or its handover
    overdue_loans: int


def prescriber_work(user, *, today: dt.date | None = None) -> PrescriberWork | None:
    """For the prescribing roles of an organisation (its own households only); None for
    anyone else. Five queries whatever the number of households."""
    org_ids = prescribing_organisation_ids(user)
    if not org_ids:
        return None
    today = today or timezone.localdate()
    requests = DeviceRequest.objects.filter(prescriber_org_id__in=org_ids)
    counts = requests.aggregate(
        drafts=Count("id", filter=Q(state=RequestState.DRAFT)),
        sent=Count("id", filter=Q(state=RequestState.SUBMITTED)),
        approved=Count("id", filter=Q(state=RequestState.APPROVED)),
    )
    overdue = Loan.objects.filter(
        request__prescriber_org_id__in=org_ids, state=LoanState.OPEN, due_on__lt=today
    ).count()
    # The households of the latest requests (index request_prescriber, by id).
    latest = (
        requests.filter(household__organisation_id__in=org_ids)
        .order_by("-id")
        .values_list("household_id", flat=True)[: HOME_ROWS * 8]
    )
    household_ids = list(dict.fromkeys(latest))[: HOME_ROWS * 2]
    households = Household.objects.filter(pk__in=household_ids).select_related("commune")
    by_id = {household.pk: household for household in households}
    found = follow_ups(household_ids, user)
    return PrescriberWork(
        households=[(by_id[pk], found[pk]) for pk in household_ids if pk in by_id],
        drafts=counts["drafts"],
        sent=counts["sent"],
        approved=counts["approved"],
        overdue_loans=overdue,
    )


# --- digital-inclusion vouchers (issue 15) ----------------------------------------------------


def vouchers_paying(target: Sale | Loan) -> list:
    """The vouchers that paid a sale or a loan's fee."""
    return list(target.vouchers.order_by("id"))


def vouchers_for_reconciliation(
    user, *, start: dt.date, end: dt.date, scheme: str = "", issuer: str = ""
) -> QuerySet:
    """The vouchers of the user's desk organisations received in the period (one issuer or
    all), to claim from their issuers. No household is named."""
    from .models import Voucher

    queryset = Voucher.objects.filter(
        organisation_id__in=desk_organisation_ids(user),
        received_on__gte=start,
        received_on__lte=end,
    )
    if scheme:
        queryset = queryset.filter(scheme=scheme)
    if issuer:
        queryset = queryset.filter(issuer_key=" ".join(issuer.split()).casefold())
    return queryset.select_related("sale", "loan", "organisation").order_by(
        "issuer_key", "received_on", "id"
    )


def voucher_totals(queryset: QuerySet) -> list[dict]:
    """What to claim from each issuer: the vouchers of a refunded loan fee are listed (marked
    « à ne pas présenter ») but not claimed."""
    return list(
        queryset.filter(Q(loan__isnull=True) | Q(loan__fee_refunded_on__isnull=True))
        .order_by()
        .values("scheme", "issuer_key")
        .annotate(issuer=Min("issuer"), n=Count("id"), total=Sum("value"))
        .order_by("issuer_key", "scheme")
    )
