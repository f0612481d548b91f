"""Reads of the loan scheme, scoped to what the user may see. Views never build queries.

- Requests, loans and sales are seen by the household's side (the prescribing roles of the
  household's organisation) and by the association's side (staff and admins of the
  refurbishing organisation the request is addressed to). Nobody else: another
  organisation's row is a 404, never a 403.
- A household's file (eligibility, requests, loans, export) follows the same rule: staff of
  an association see the households of the requests addressed to them.
"""

import datetime as dt

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
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
    Loan,
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
    ).select_related("device", "organisation__commune", "request", "sold_by")
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
