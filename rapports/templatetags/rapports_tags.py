"""Template helpers of the reports: the small-count rule."""

from django import template

from .. import disclosure
from ..disclosure import small

register = template.Library()


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
