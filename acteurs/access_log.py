"""The record of who read a household's personal data (``PersonalDataAccess``).

Every person's reads are recorded, members and operators alike (the CNIL's guidance for the
social sector asks for a trace of who consulted a file):

- ``record_access``: a page or a file about one household — its page, its equipment file, a
  request, a loan, a loan agreement or a receipt, its data export: one INSERT;
- ``record_list``: a list page showing households (the household list, a request queue, a
  session's enrolments): ONE row per organisation whose households the page showed, naming
  the page and how many households it showed — not one per household (a busy desk opens
  lists all day; a year of rows per household would dwarf the data it protects). An
  operator (superuser, not a member of the organisation) gets one row per household listed,
  in one bulk INSERT, so the organisation sees exactly what an outsider saw.

The page is kept without its query string (a search may hold a name). The organisation's
admins read the records on "Accès aux données personnelles", filter them and export one
household's accesses as CSV for a subject-access request. Records are kept
``ACCESS_LOG_RETENTION_DAYS`` (365), then ``purge_old_accesses`` (Celery beat, ``manage.py
purge_access_log``) deletes them.
"""

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from .models import Household, PersonalDataAccess, Role
from .permissions import organisations_with_role

Action = PersonalDataAccess.Action
MAX_PAGE_LENGTH = PersonalDataAccess._meta.get_field("page").max_length
MAX_WHAT_LENGTH = PersonalDataAccess._meta.get_field("what").max_length


def _person(user) -> dict:
    return {
        "user": user,
        "user_label": (user.get_full_name() or user.get_username()).strip()[:300],
        "by_operator": user.is_superuser,
    }


def _page(request_or_path) -> str:
    path = getattr(request_or_path, "path", request_or_path)
    return str(path)[:MAX_PAGE_LENGTH]


def record_access(
    request, household: Household, *, what: str, action: str = Action.VIEW
) -> PersonalDataAccess | None:
    """One household's data read by the person of ``request`` (a page or a file)."""
    user = request.user
    if not user.is_authenticated:
        return None
    return PersonalDataAccess.objects.create(
        **_person(user),
        organisation_id=household.organisation_id,
        household_id=household.pk,
        action=action,
        what=str(what)[:MAX_WHAT_LENGTH],
        page=_page(request),
    )


def record_accesses(request, households: Iterable[Household], *, what: str) -> int:
    """Several households' data read on one page (each its own row, one INSERT): what a list
    shows beyond names, such as an autonomy level shared with another organisation."""
    user = request.user
    if not user.is_authenticated:
        return 0
    unique = {h.pk: h for h in households if h is not None}
    if not unique:
        return 0
    PersonalDataAccess.objects.bulk_create(
        [
            PersonalDataAccess(
                **_person(user),
                organisation_id=h.organisation_id,
                household_id=h.pk,
                action=Action.VIEW,
                what=str(what)[:MAX_WHAT_LENGTH],
                page=_page(request),
            )
            for h in unique.values()
        ]
    )
    return len(unique)


def record_list(request, households: Iterable[Household], *, what: str) -> int:
    """A list page showed these households: one row per organisation (per household for an
    operator), in one INSERT. Returns the number of rows written."""
    user = request.user
    if not user.is_authenticated:
        return 0
    households = [h for h in households if h is not None]
    if not households:
        return 0
    common = {
        **_person(user),
        "action": Action.LIST,
        "what": str(what)[:MAX_WHAT_LENGTH],
        "page": _page(request),
    }
    if user.is_superuser:
        rows = [
            PersonalDataAccess(
                **common, organisation_id=h.organisation_id, household_id=h.pk, households_shown=1
            )
            for h in {h.pk: h for h in households}.values()
        ]
    else:
        shown = Counter(h.organisation_id for h in {h.pk: h for h in households}.values())
        rows = [
            PersonalDataAccess(**common, organisation_id=org, household=None, households_shown=n)
            for org, n in sorted(shown.items())
        ]
    PersonalDataAccess.objects.bulk_create(rows)
    return len(rows)


def purge_old_accesses(*, now: dt.datetime | None = None, days: int | None = None) -> int:
    """Delete the records older than the retention delay; returns how many went."""
    days = settings.ACCESS_LOG_RETENTION_DAYS if days is None else days
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    deleted, _by_model = PersonalDataAccess.objects.filter(accessed_at__lt=cutoff).delete()
    return deleted


# --- reading the records (the organisation's admins) --------------------------------------------


def admin_organisation_ids(user) -> list[int]:
    """The organisations whose records the user reads: those where they are an admin."""
    return organisations_with_role(user, {Role.ADMIN})


def accesses_visible_to(
    user,
    *,
    household_id: int | None = None,
    person: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[PersonalDataAccess]:
    """The records of the organisations where the user is an admin, newest first, filtered by
    household, person (part of the name) and days (inclusive, Paris time)."""
    queryset = PersonalDataAccess.objects.filter(organisation_id__in=admin_organisation_ids(user))
    if household_id is not None:
        queryset = queryset.filter(household_id=household_id)
    if person:
        queryset = queryset.filter(user_label__icontains=person.strip())
    if since is not None:
        queryset = queryset.filter(accessed_at__gte=_start_of(since))
    if until is not None:
        queryset = queryset.filter(accessed_at__lt=_start_of(until + dt.timedelta(days=1)))
    return queryset.select_related("organisation", "household").order_by("-accessed_at", "-id")


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


CSV_HEADER = ("Le", "Par", "Opérateur de la plateforme", "Action", "Quoi", "Page")


def csv_rows(accesses: QuerySet[PersonalDataAccess]) -> Iterator[tuple]:
    """The accesses to one household, for its subject-access request (no other household's
    name: the rows name the person who read, what and where)."""
    yield CSV_HEADER
    for access in accesses.iterator(chunk_size=2000):
        yield (
            timezone.localtime(access.accessed_at).strftime("%d/%m/%Y %H:%M"),
            access.user_label,
            "oui" if access.by_operator else "non",
            access.get_action_display(),
            access.what,
            access.page,
        )
