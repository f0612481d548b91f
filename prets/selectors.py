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
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.http import Http404
from django.utils import timezone

from acteurs.models import Household, Organisation
from parc.models import Device, State

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
        "organisation",
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
        active=figures["active"],
        overdue=figures["overdue"],
        ended={
            state: figures[state]
            for state in (LoanState.RETURNED, LoanState.TRANSFERRED, LoanState.LOST)
        },
        follow_ups=follow_ups,
    )


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
