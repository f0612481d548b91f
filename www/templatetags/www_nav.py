"""The site's menu in the layout (base.html): ``{% site_menu as entries %}``."""

from django import template

from ..navigation import menu_for

register = template.Library()


@register.simple_tag(takes_context=True)
def site_menu(context) -> list:
    request = context.get("request")
    return menu_for(request) if request is not None else []
