"""Template helpers of the dashboards: durations, and the small-count rule of the pages
funders may read."""

from django import template
from django.utils.formats import number_format

from ..disclosure import Hidden, small

register = template.Library()


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


@register.simple_tag
def stage_label(stage):
    """The French name of a work stage (parc.models.WorkStage)."""
    from parc.models import WorkStage

    return WorkStage(stage).label if stage in WorkStage.values else stage


@register.filter
def hours(minutes):
    """Minutes as hours, French format: « 1,5 h »."""
    if minutes is None:
        return "—"
    return f"{number_format(round(minutes / 60, 2), decimal_pos=2, force_grouping=True)} h"
