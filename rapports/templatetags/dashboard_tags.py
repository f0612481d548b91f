"""Template helpers of the dashboards: the navigation link, durations, and the small-count
rule of the pages funders may read."""

from django import template
from django.utils.formats import number_format

from acteurs.models import Role
from acteurs.permissions import roles_by_organisation

from ..disclosure import Hidden, small

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
    """A count of households or loans under the secrecy rule (rapports.disclosure), in
    French number format; "—" when there is no figure."""
    shown = small(count)
    if shown is None:
        return "—"
    if isinstance(shown, Hidden | str):
        return str(shown)
    return number_format(shown, force_grouping=True)


@register.filter
def days(value):
    """A duration in days, one decimal, French format: "3,5 j"."""
    if value is None:
        return "—"
    return f"{number_format(round(value, 1), decimal_pos=1)} j"


@register.filter
def seconds_to_days(value):
    return None if value is None else value / 86400
