"""Links from a device's history to pages of the floors above (the loan an event belongs to),
shown only to those who may see them.

``parc`` cannot name those pages (floors: docs/ARCHITECTURE.md). The app that owns them
registers, in its ``AppConfig.ready()``, a function ``(user, events) -> {event id: link}``
that reads what it needs in one query for the whole page; the device page asks every
registered function once (``attach_links``) and the template prints ``event.link``.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class HistoryLink:
    label: str
    url: str


Linker = Callable[[object, list], dict[int, HistoryLink]]

_linkers: dict[str, Linker] = {}


def register_link(name: str, linker: Linker) -> None:
    """Register (or replace, by ``name``) a function giving links for some events."""
    _linkers[name] = linker


def attach_links(user, events: Iterable) -> list:
    """Set ``event.link`` (a ``HistoryLink`` or None) on each event; returns the events."""
    events = list(events)
    found: dict[int, HistoryLink] = {}
    for linker in _linkers.values():
        found.update(linker(user, events))
    for event in events:
        event.link = found.get(event.pk)
    return events
