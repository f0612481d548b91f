"""Template helpers of the reports: the small-count rule."""

from django import template

from ..disclosure import small

register = template.Library()


@register.filter
def small_count(count):
    """A count of households: 1 to 4 shown as "< 5" (rapports.disclosure)."""
    return small(count)
