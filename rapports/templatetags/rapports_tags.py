"""Template helpers of the reports: the navigation link and the small-count rule."""

from django import template

from .. import disclosure
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


@register.filter
def shown_households(report):
    """The report's equipped households as printed: small counts and whatever would give them
    back by subtraction hidden (rapports.disclosure.gisement_households)."""
    return disclosure.gisement_households(report)


@register.simple_tag
def secondary_legend():
    return disclosure.SECONDARY_LEGEND
