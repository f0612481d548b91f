"""Template helpers of the reports: the navigation link and the small-count rule."""

from django import template

from ..access import report_scope
from ..disclosure import small

register = template.Library()


@register.simple_tag
def rapports_nav(user) -> bool:
    """Show "Rapports" to whoever may read at least one report (scope cached per request)."""
    if not user.is_authenticated:
        return False
    return not report_scope(user).is_empty


@register.filter
def small_count(count):
    """A count of households: 1 to 4 shown as "< 5" (rapports.disclosure)."""
    return small(count)
