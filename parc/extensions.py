"""Doors that apps above ``parc`` open on the device page, without parc naming them.

An app of a higher floor (the API's agent-bundle upload, for instance) registers a function in
its ``AppConfig.ready()``; the device page asks each for its links. Parc never imports them.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class PageLink:
    label: str
    url: str


_DEVICE_PAGE_LINKS: list[Callable] = []


def register_device_page_link(provider: Callable[[object, object], Iterable[PageLink]]):
    """``provider(request, device)`` returns the links it offers on that device's page."""
    if provider not in _DEVICE_PAGE_LINKS:
        _DEVICE_PAGE_LINKS.append(provider)
    return provider


def device_page_links(request, device) -> list[PageLink]:
    return [link for provider in _DEVICE_PAGE_LINKS for link in provider(request, device)]
