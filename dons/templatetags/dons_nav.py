"""Whether the navigation shows the donations menu (roles are cached on the user per request)."""

from django import template

from dons.services import can_read

register = template.Library()


@register.simple_tag
def dons_nav(user) -> bool:
    return user.is_authenticated and can_read(user)
