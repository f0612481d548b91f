"""Reads of the workshops, scoped to what the user may see. Views never build queries.

- The workshop offer (sessions) is visible to any member of an organisation.
- Enrolments: a session's team sees them all; anyone else only those of the households they
  see (their own organisation's).
- Repairs and their figures: the team of the organisation that recorded or imported them.

``household_attended`` is the question the loan issue asks before a handover.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Avg,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from acteurs.models import Household, Membership, Organisation
from acteurs.selectors import household_organisation_ids, households_visible_to

from . import impact, ords, pix
from .models import (
    Assessment,
    AssessmentLevel,
    AssessmentMoment,
    Attendance,
    AutonomySharing,
    Enrolment,
    EnrolmentStatus,
    Repair,
    RepairImport,
    Session,
    WorkshopType,
)
from .permissions import TEAM_ROLES, is_team, sees_sessions, team_organisation_ids

# --- for the loan issue -----------------------------------------------------------------------


def household_attended(household_id: int, workshop_type_code: str, since) -> bool:
    """Has this household attended (marked present at) a session of this workshop type that
    started on or after ``since`` (a date, local midnight, or an aware datetime)?"""
    if isinstance(since, dt.datetime):
        start = since
    else:
        start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
    return Enrolment.objects.filter(
        household_id=household_id,
        session__workshop_type__code=workshop_type_code,
        session__starts_at__gte=start,
        status=EnrolmentStatus.CONFIRMED,
        attendance=Attendance.PRESENT,
    ).exists()


def attended_since(household_ref, workshop_code_ref, since_ref) -> Exists:
    """A condition for the floors above (the loan scheme's training deadline): the household
    named by ``household_ref`` attended a session of the workshop type ``workshop_code_ref``
    on or after the day ``since_ref`` (each an ``OuterRef`` or a value)."""
    return Exists(
        Enrolment.objects.filter(
            household_id=household_ref,
            session__workshop_type__code=workshop_code_ref,
            session__starts_at__date__gte=since_ref,
            status=EnrolmentStatus.CONFIRMED,
            attendance=Attendance.PRESENT,
        )
    )


# --- sessions ---------------------------------------------------------------------------------


def _count(queryset):
    """A correlated COUNT(*) per session (no join: several counts do not multiply)."""
    counted = queryset.order_by().values("session_id").annotate(n=Count("id")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _averted_subquery():
    summed = (
        Repair.objects.filter(session_id=OuterRef("pk"))
        .order_by()
        .values("session_id")
        .annotate(kg=Sum(impact.averted_expression()))
        .values("kg")
    )
    kg = DecimalField(max_digits=12, decimal_places=2)
    return Coalesce(Subquery(summed, output_field=kg), Value(Decimal("0")), output_field=kg)


def with_figures(queryset: QuerySet[Session]) -> QuerySet[Session]:
    """Sessions with their seats taken, waiting list, attendance and repair figures."""
    enrolments = Enrolment.objects.filter(session_id=OuterRef("pk"))
    return queryset.annotate(
        confirmed_count=_count(enrolments.filter(status=EnrolmentStatus.CONFIRMED)),
        waiting_count=_count(enrolments.filter(status=EnrolmentStatus.WAITING)),
        present_count=_count(enrolments.filter(attendance=Attendance.PRESENT)),
        repair_count=_count(Repair.objects.filter(session_id=OuterRef("pk"))),
        averted_kg=_averted_subquery(),
    )


def sessions_visible_to(user) -> QuerySet[Session]:
    if not sees_sessions(user):
        return Session.objects.none()
    return Session.objects.all()


@dataclass(frozen=True)
class SessionFilters:
    workshop_type: WorkshopType | None = None
    organisation: Organisation | None = None
    when: str = "upcoming"  # "upcoming", "past" or "all"
    mine: bool = False


def session_list(user, filters: SessionFilters) -> QuerySet[Session]:
    now = timezone.now()
    queryset = with_figures(
        sessions_visible_to(user).select_related(
            "workshop_type", "organisation", "commune", "facilitator"
        )
    )
    if filters.workshop_type:
        queryset = queryset.filter(workshop_type=filters.workshop_type)
    if filters.organisation:
        queryset = queryset.filter(organisation=filters.organisation)
    if filters.mine:
        queryset = queryset.filter(facilitator=user)
    if filters.when == "past":
        return queryset.filter(ends_at__lte=now).order_by("-starts_at", "-id")
    if filters.when == "upcoming":
        queryset = queryset.filter(ends_at__gt=now)
    return queryset.order_by("starts_at", "id")


def week_bounds(day: dt.date) -> tuple[dt.date, dt.datetime, dt.datetime]:
    monday = day - dt.timedelta(days=day.weekday())
    start = timezone.make_aware(dt.datetime.combine(monday, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(monday + dt.timedelta(days=7), dt.time.min))
    return monday, start, end


def week(user, day: dt.date) -> list[tuple[dt.date, list[Session]]]:
    """The seven days of ``day``'s week (Monday first), each with its sessions."""
    monday, start, end = week_bounds(day)
    sessions = list(
        with_figures(
            sessions_visible_to(user)
            .select_related("workshop_type", "organisation", "commune", "facilitator")
            .filter(starts_at__gte=start, starts_at__lt=end)
        ).order_by("starts_at", "id")
    )
    days = [(monday + dt.timedelta(days=offset), []) for offset in range(7)]
    for session in sessions:
        days[timezone.localdate(session.starts_at).weekday()][1].append(session)
    return days


def session_for(user, pk: int) -> Session:
    try:
        return with_figures(
            sessions_visible_to(user).select_related(
                "workshop_type", "organisation", "commune", "facilitator"
            )
        ).get(pk=pk)
    except Session.DoesNotExist:
        raise Http404 from None


def session_enrolments(session: Session, user) -> list[Enrolment]:
    """Active enrolments (seats, then the waiting list in order) this user may see."""
    queryset = (
        session.enrolments.filter(status__in=[EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITING])
        .select_related("household", "household__organisation", "household__commune")
        .order_by("enrolled_at", "id")
    )
    if not is_team(user, session.organisation_id):
        queryset = queryset.filter(household__organisation_id__in=household_organisation_ids(user))
    else:
        # The households that consented to share their autonomy level with this session's
        # organisation (read by shared_autonomy_levels, without a query of its own).
        queryset = queryset.annotate(
            autonomy_shared=Exists(
                AutonomySharing.objects.filter(
                    household_id=OuterRef("household_id"),
                    organisation_id=session.organisation_id,
                    withdrawn_at__isnull=True,
                )
            )
        )
    return list(queryset)


def enrollable_households(user, session: Session) -> QuerySet[Household]:
    """Households the user may enrol in this session: theirs, not already enrolled."""
    active = session.enrolments.filter(
        status__in=[EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITING]
    ).values("household_id")
    return (
        households_visible_to(user)
        .exclude(pk__in=active)
        .filter(anonymisation__isnull=True)  # anonymised is final: no enrolment
        .select_related("commune")
        .order_by("name", "id")
    )


def enrolment_for(user, pk: int) -> Enrolment:
    enrolment = Enrolment.objects.select_related("session", "household").filter(pk=pk).first()
    if enrolment is None or not (
        enrolment.household.organisation_id in household_organisation_ids(user)
        or is_team(user, enrolment.session.organisation_id)
    ):
        raise Http404
    return enrolment


def team_session_for(user, pk: int) -> Session:
    """A session the user runs (attendance, repairs, sheet), or 404."""
    session = session_for(user, pk)
    if not is_team(user, session.organisation_id):
        raise Http404
    return session


def facilitators_for(organisation_ids) -> QuerySet:
    from acteurs.models import User

    return (
        User.objects.filter(
            memberships__organisation_id__in=organisation_ids,
            memberships__role__in=TEAM_ROLES,
            is_active=True,
        )
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def team_organisations(user) -> QuerySet[Organisation]:
    return (
        Organisation.objects.filter(pk__in=team_organisation_ids(user))
        .select_related("commune")
        .order_by("name")
    )


def workshop_types(active_only: bool = True) -> QuerySet[WorkshopType]:
    queryset = WorkshopType.objects.all()
    if active_only:
        queryset = queryset.filter(is_active=True)
    return queryset.order_by("position", "name")


def membership_organisation_ids(user) -> list[int]:
    return list(Membership.objects.filter(user=user).values_list("organisation_id", flat=True))


# --- a household's workshops ------------------------------------------------------------------


def household_enrolments(household: Household) -> list[Enrolment]:
    return list(
        household.enrolments.select_related(
            "session", "session__workshop_type", "session__organisation"
        ).order_by("-session__starts_at", "-id")
    )


def household_assessments(household: Household):
    return list(
        household.assessments.select_related("session", "assessed_by", "organisation")
        .prefetch_related(Prefetch("levels", queryset=AssessmentLevel.objects.order_by("domain")))
        .order_by("assessed_on", "id")
    )


# --- progress ---------------------------------------------------------------------------------


@dataclass
class DomainProgress:
    domain: str
    label: str
    households: int
    before: Decimal | None
    after: Decimal | None
    improved: int
    autonomous: int

    @property
    def change(self) -> Decimal | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


def _scope(
    prefix: str, *, organisation_ids, household_id, workshop_type_id, start, end, households=None
) -> Q:
    condition = Q()
    if organisation_ids is not None:
        condition &= Q(**{f"{prefix}organisation_id__in": organisation_ids})
    if household_id is not None:
        condition &= Q(**{f"{prefix}household_id": household_id})
    if households is not None:
        condition &= Q(**{f"{prefix}household_id__in": households})
    if workshop_type_id is not None:
        condition &= Q(**{f"{prefix}session__workshop_type_id": workshop_type_id})
    if start is not None:
        condition &= Q(**{f"{prefix}assessed_on__gte": start})
    if end is not None:
        condition &= Q(**{f"{prefix}assessed_on__lte": end})
    return condition


def progress(
    *,
    organisation_ids: list[int] | None = None,
    household_id: int | None = None,
    workshop_type_id: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    households: QuerySet | None = None,
) -> list[DomainProgress]:
    """Autonomy progress per PIX domain, computed by the database in one query.

    ``households``: a queryset of household ids (``values("pk")``) to keep, as a subquery
    (the households a gisement equipped, for the reports).

    For each household assessed in scope both before and after training: its first
    "before" level against its last "after" level. Per domain: how many households, the
    average level before and after (1 avec aide, 2 sans aide, 3 en autonomie), how many
    improved, how many ended "en autonomie".
    """
    from .models import Assessment

    scope = {
        "organisation_ids": organisation_ids,
        "household_id": household_id,
        "workshop_type_id": workshop_type_id,
        "start": start,
        "end": end,
        "households": households,
    }
    first_before = (
        Assessment.objects.filter(
            _scope("", **scope),
            household_id=OuterRef("assessment__household_id"),
            moment=AssessmentMoment.BEFORE,
        )
        .order_by("assessed_on", "id")
        .values("id")[:1]
    )
    last_after_level = (
        AssessmentLevel.objects.filter(
            _scope("assessment__", **scope),
            assessment__household_id=OuterRef("assessment__household_id"),
            assessment__moment=AssessmentMoment.AFTER,
            domain=OuterRef("domain"),
        )
        .order_by("-assessment__assessed_on", "-assessment__id")
        .values("level")[:1]
    )
    rows = (
        AssessmentLevel.objects.filter(
            _scope("assessment__", **scope), assessment__moment=AssessmentMoment.BEFORE
        )
        .filter(assessment_id=Subquery(first_before))
        .annotate(after=Subquery(last_after_level, output_field=IntegerField()))
        .filter(after__isnull=False)
        .values("domain")
        .annotate(
            households=Count("id"),
            before_avg=Avg("level"),
            after_avg=Avg("after"),
            improved=Count("id", filter=Q(after__gt=F("level"))),
            autonomous=Count("id", filter=Q(after=pix.Level.AUTONOMOUS)),
        )
        .order_by("domain")
    )
    by_domain = {row["domain"]: row for row in rows}
    result = []
    for code, label in pix.DOMAINS:
        row = by_domain.get(code)
        result.append(
            DomainProgress(
                domain=code,
                label=str(label),
                households=row["households"] if row else 0,
                before=_round(row["before_avg"]) if row else None,
                after=_round(row["after_avg"]) if row else None,
                improved=row["improved"] if row else 0,
                autonomous=row["autonomous"] if row else 0,
            )
        )
    return result


@dataclass
class TrainingAttended:
    workshop_type: str
    households: int  # distinct households marked present at least once
    attendances: int  # presences


def training_attended(households: QuerySet) -> tuple[int, list[TrainingAttended]]:
    """For a set of households (a queryset of ids, used as a subquery): how many attended at
    least one session (marked present), and per workshop type how many households and how
    many presences. Two queries whatever the number of households."""
    present = Enrolment.objects.filter(
        household_id__in=households,
        status=EnrolmentStatus.CONFIRMED,
        attendance=Attendance.PRESENT,
    )
    total = present.aggregate(n=Count("household_id", distinct=True))["n"]
    rows = (
        present.values("session__workshop_type__name", "session__workshop_type__position")
        .annotate(households=Count("household_id", distinct=True), attendances=Count("id"))
        .order_by("session__workshop_type__position", "session__workshop_type__name")
    )
    return total, [
        TrainingAttended(
            workshop_type=row["session__workshop_type__name"],
            households=row["households"],
            attendances=row["attendances"],
        )
        for row in rows
    ]


def _round(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


# --- repairs ----------------------------------------------------------------------------------


def repairs_visible_to(user) -> QuerySet[Repair]:
    return Repair.objects.filter(organisation_id__in=team_organisation_ids(user))


def session_repairs(session: Session) -> list[Repair]:
    return list(session.repairs.select_related("device", "recorded_by").order_by("id"))


def repairs_for_export(organisation, *, session: Session | None = None, imported=False):
    """The organisation's repairs for its ORDS file: its own sessions' (or one session's),
    and with ``imported`` also the records it holds from other providers. Ordered for a
    stable file; callers iterate in chunks."""
    queryset = Repair.objects.filter(organisation=organisation)
    if session is not None:
        queryset = queryset.filter(session=session)
    elif not imported:
        queryset = queryset.filter(session__isnull=False)
    return queryset.order_by("event_date", "id")


def repair_totals(user, organisation_id: int | None = None) -> dict:
    """Totals over the user's repairs, kept apart: ``local`` (their own sessions: the
    figures), ``imported`` (records from other providers) and ``all`` (both, only shown
    when the user asks for it)."""
    queryset = repairs_visible_to(user)
    if organisation_id:
        queryset = queryset.filter(organisation_id=organisation_id)
    return {
        "local": impact.totals(queryset.filter(session__isnull=False)),
        "imported": impact.totals(queryset.filter(import_batch__isnull=False)),
        "all": impact.totals(queryset),
    }


def repair_imports(user):
    """The user's organisations' latest ORDS files, previews and imports."""
    return RepairImport.objects.filter(
        organisation_id__in=team_organisation_ids(user)
    ).select_related("imported_by", "organisation")[:20]


def repair_import_for(user, pk: int) -> RepairImport:
    """One ORDS file of the user's organisations; any other is a 404."""
    batch = (
        RepairImport.objects.filter(pk=pk, organisation_id__in=team_organisation_ids(user))
        .select_related("organisation", "imported_by")
        .first()
    )
    if batch is None:
        raise Http404
    return batch


def session_organisations() -> QuerySet[Organisation]:
    """Organisations that run sessions (for the list's filter)."""
    return Organisation.objects.filter(pk__in=Session.objects.values("organisation_id")).order_by(
        "name"
    )


def repair_sessions(user) -> QuerySet[Session]:
    """The user's repair sessions with their figures, most recent first."""
    return (
        with_figures(
            Session.objects.filter(
                organisation_id__in=team_organisation_ids(user), workshop_type__kind="repair"
            ).select_related("workshop_type", "organisation", "commune")
        )
        .filter(starts_at__lte=timezone.now())
        .order_by("-starts_at", "-id")[:50]
    )


# --- figures for the roadmap indicators (rapports) --------------------------------------------
# ``scope`` and ``territory`` are conditions built by the caller; ``organisation_ids`` None
# means every organisation. Aggregates only.


def households_trained(*, scope: Q, territory: Q, start: dt.date, end: dt.date) -> dict:
    """Households marked present at least once at a session that started in the period, and
    the presences. ``scope`` and ``territory`` are conditions on Enrolment. One query."""
    first = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    after = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    return Enrolment.objects.filter(
        scope,
        territory,
        status=EnrolmentStatus.CONFIRMED,
        attendance=Attendance.PRESENT,
        session__starts_at__gte=first,
        session__starts_at__lt=after,
    ).aggregate(households=Count("household_id", distinct=True), attendances=Count("id"))


def repairs_by_status(
    *, organisation_ids, territory: Q, start: dt.date, end: dt.date, include_imported=False
) -> dict[str, int]:
    """Repairs dated in the period, by ORDS status: the organisations' own sessions', and
    the records imported from other providers only with ``include_imported``. ``territory``
    is a condition on Repair (through its session: imported records have none). One query."""
    queryset = Repair.objects.filter(territory, event_date__gte=start, event_date__lte=end)
    if not include_imported:
        queryset = queryset.filter(session__isnull=False)
    if organisation_ids is not None:
        queryset = queryset.filter(organisation_id__in=organisation_ids)
    counts = dict.fromkeys(ords.RepairStatus.values, 0)
    for row in queryset.values("status").annotate(n=Count("id")).order_by():
        counts[row["status"]] = row["n"]
    return counts


# --- the facilitator's home (composed in www) -------------------------------------------------

NEXT_SESSIONS = 5


@dataclass
class SessionsAhead:
    today: list[Session]
    next: list[Session]  # after today, soonest first (NEXT_SESSIONS)


def sessions_ahead(user, *, today: dt.date | None = None) -> SessionsAhead | None:
    """Today's sessions and the next ones of the organisations whose workshops the user runs
    (admins, staff, facilitators), and any the user facilitates; with their seats taken and
    waiting list. Today's include a session begun before midnight and not over (an evening
    session, a two-day course): its roll call is still to take. None for anyone else. Two
    queries (index ``session_org_starts``)."""
    org_ids = team_organisation_ids(user)
    if not org_ids:
        return None
    today = today or timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    tomorrow = start + dt.timedelta(days=1)
    sessions = with_figures(
        Session.objects.filter(Q(organisation_id__in=org_ids) | Q(facilitator=user)).select_related(
            "workshop_type", "organisation", "commune", "facilitator"
        )
    ).order_by("starts_at", "id")
    return SessionsAhead(
        today=list(
            sessions.filter(
                Q(starts_at__gte=start, starts_at__lt=tomorrow)
                | Q(starts_at__lt=start, ends_at__gt=start)
            )
        ),
        next=list(sessions.filter(starts_at__gte=tomorrow)[:NEXT_SESSIONS]),
    )


# --- the autonomy level shared with another organisation (issue 15) --------------------------


def autonomy_sharings(household: Household) -> list:
    """The household's consents to share its level, active first (for its organisation)."""
    return list(
        AutonomySharing.objects.filter(household=household)
        .select_related("organisation", "granted_by", "withdrawn_by")
        .order_by(F("withdrawn_at").desc(nulls_first=True), "-granted_at", "-id")
    )


def sharing_organisations(household: Household) -> QuerySet[Organisation]:
    """The organisations a household may share its level with: those that run workshops,
    but its own."""
    return (
        Organisation.objects.filter(pk__in=Session.objects.values("organisation_id"))
        .exclude(pk=household.organisation_id)
        .order_by("name")
    )


@dataclass
class SharedLevel:
    average: Decimal | None  # None: no assessment yet
    assessed_on: dt.date | None


def shared_autonomy_levels(user, session: Session, enrolments: list) -> dict[int, SharedLevel]:
    """For the team of the session's organisation: the latest autonomy level of the enrolled
    households of other organisations that consented to share it with this one (nothing
    for anyone else, nothing for households without an active consent). The consent comes
    with the enrolments (``session_enrolments``); one query for the latest assessments, none
    when no household consented."""
    if not is_team(user, session.organisation_id):
        return {}
    consented = {
        e.household_id
        for e in enrolments
        if e.household.organisation_id != session.organisation_id
        and getattr(e, "autonomy_shared", False)
    }
    if not consented:
        return {}
    levels = {pk: SharedLevel(None, None) for pk in consented}
    latest = (
        Assessment.objects.filter(household_id__in=consented)
        .annotate(average=Avg("levels__level"))
        .values_list("household_id", "assessed_on", "average")
        .order_by("household_id", "-assessed_on", "-id")
    )
    for household_id, assessed_on, average in latest:
        if levels[household_id].assessed_on is None:
            levels[household_id] = SharedLevel(
                Decimal(str(average)).quantize(Decimal("0.1")) if average is not None else None,
                assessed_on,
            )
    return levels
