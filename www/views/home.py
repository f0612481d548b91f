"""The home page: each role's work as a queue, read through the owning apps' selectors.

A section per role the user holds (a user with several roles sees each of them):

- the pool (technicians, staff, admins): devices waiting at each stage, the user's scans;
- the desk (staff, admins of a refurbisher): requests to answer, devices ready against the
  accepted requests waiting for one, loans due soon and overdue;
- the workshops (facilitators; the team when it has sessions): today's and the next ones;
- the households followed (prescribers; the team when it follows some): their request and
  loan;
- a funder: the figures of what they fund (aggregates, "< 5" for few households), their
  reports, long reports and shared links;
- the coordination: the roadmap indicators of the last twelve months.

Every section costs a fixed number of queries, whatever the size of the data
(tests/www/test_home.py).
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from acteurs.models import Role
from acteurs.permissions import (
    POOL_ROLES,
    is_coordinator,
    organisations_with_role,
    roles_by_organisation,
)
from ateliers import selectors as ateliers_selectors
from parc import selectors as parc_selectors
from parc.scanning import selectors as scan_selectors
from prets import selectors as prets_selectors
from rapports import selectors as rapports_selectors


def _pool(user) -> dict | None:
    if not organisations_with_role(user, POOL_ROLES):
        return None
    return {
        "stages": parc_selectors.waiting_counts(user),
        "scans": scan_selectors.recent_scans(user),
    }


def _sessions(user, roles: set, today):
    """Facilitators always; the rest of the team only when sessions are coming."""
    ahead = ateliers_selectors.sessions_ahead(user, today=today)
    if ahead is None:
        return None
    if Role.FACILITATOR in roles or ahead.today or ahead.next:
        return ahead
    return None


def _households(user, roles: set, today):
    """Prescribers always; the admins and staff of an organisation only when it follows
    households in the loan scheme."""
    work = prets_selectors.prescriber_work(user, today=today)
    if work is None:
        return None
    if Role.PRESCRIBER in roles or work.households:
        return work
    return None


def _workshop(section, has_work: bool, user, roles: set):
    """The pool and the desk: for technicians and staff always; for an admin too, unless
    the admin is the coordination's (whose organisation has no pool): then only with work."""
    if section is None:
        return None
    if roles & {Role.TECHNICIAN, Role.STAFF} or not is_coordinator(user) or has_work:
        return section
    return None


@login_required
def home(request):
    user = request.user
    today = timezone.localdate()
    roles = set(roles_by_organisation(user).values())
    desk = prets_selectors.desk_work(user, today=today)
    pool = _pool(user)
    sections = {
        "desk": _workshop(
            desk,
            bool(desk and (desk.to_answer_count or desk.balance or desk.overdue_count)),
            user,
            roles,
        ),
        "pool": _workshop(
            pool,
            bool(pool and (any(stage.count for stage in pool["stages"]) or pool["scans"])),
            user,
            roles,
        ),
        "sessions": _sessions(user, roles, today),
        "households": _households(user, roles, today),
        "funder": rapports_selectors.funder_home(user),
        "coordination": rapports_selectors.coordination_home(user, today=today),
    }
    return render(
        request,
        "www/home.html",
        {
            **sections,
            "today": today,
            "has_work": any(section is not None for section in sections.values()),
            "memberships": user.memberships.select_related("organisation"),
        },
    )
