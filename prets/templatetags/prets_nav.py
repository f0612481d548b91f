"""Which loan-scheme links the navigation shows (roles are cached on the user per request)."""

from django import template

from prets.permissions import (
    desk_organisation_ids,
    is_prescriber_for,
    prescribing_organisation_ids,
)

register = template.Library()


@register.simple_tag
def prets_nav(user) -> dict:
    if not user.is_authenticated:
        return {"requests": False, "queue": False, "loans": False}
    prescribes = bool(prescribing_organisation_ids(user))
    desk = bool(desk_organisation_ids(user))
    return {"requests": prescribes, "queue": desk, "loans": prescribes or desk}


@register.simple_tag
def prescribes_for(user, organisation_id) -> bool:
    """Whether the household page links to the household's equipment file (requests, loans)."""
    return user.is_authenticated and is_prescriber_for(user, organisation_id)
