"""Template helpers of the dashboards: the navigation link, durations, and the small-count
rule of the pages funders may read."""

from django import template
from django.utils.formats import number_format

from acteurs.models import Role
from acteurs.permissions import roles_by_organisation

from ..dashboard_selectors import SMALL_COUNT

register = template.Library()

DASHBOARD_ROLES = frozenset({Role.ADMIN, Role.STAFF, Role.FUNDER})


@register.simple_tag
def dashboard_nav(user) -> bool:
    """Show "Tableaux de bord" to admins, staff and funders (and superusers). Reads the
    memberships already cached for the request: no query of its own on most pages."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or bool(DASHBOARD_ROLES & set(roles_by_organisation(user).values()))


@register.filter
def under_five(count):
    """A count of households or loans: 1 to 4 shown as "< 5" so no one can be recognised;
    0 stays 0 (there is no one to recognise)."""
    if count is None:
        return "—"
    if 0 < count < SMALL_COUNT:
        return f"< {SMALL_COUNT}"
    return number_format(count, force_grouping=True)


@register.filter
def days(value):
    """A duration in days, one decimal, French format: "3,5 j"."""
    if value is None:
        return "—"
    return f"{number_format(round(value, 1), decimal_pos=1)} j"


@register.filter
def seconds_to_days(value):
    return None if value is None else value / 86400
