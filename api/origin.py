"""Who wrote through the API: every history row written during an API request says so.

The apps below write their own event rows through their services; they do not know about the
API. While an API request runs, this module holds ``{"via": "api", "token": "<name>"}`` (the
token's name, or no token for the browser's session) and a ``pre_save`` receiver adds it to
each new event row (``core.events.Event``), in its ``data``. So a device registered, a medium
added, an erasure or a transition made by a
program shows the token's name in the device's history, whatever service wrote the row.

Bulk registration writes its events without ``save()``: the API passes the same dictionary
as each row's ``event_data`` (api/views/devices.py).
"""

from contextvars import ContextVar

from django.db.models.signals import pre_save

from core.events import event_models

_current: ContextVar[dict | None] = ContextVar("api_origin", default=None)


def current() -> dict | None:
    return _current.get()


def describe(token) -> dict:
    origin = {"via": "api"}
    if token is not None:
        origin["token"] = token.name
    return origin


def enter(token):
    """Set the origin for the rest of the request; returns what ``leave`` needs."""
    return _current.set(describe(token))


def leave(reset) -> None:
    _current.reset(reset)


def _stamp(sender, instance, **kwargs):
    origin = _current.get()
    if origin is None or not instance._state.adding:
        return
    instance.data = {**origin, **(instance.data or {})}


def connect() -> None:
    for model in event_models():
        pre_save.connect(_stamp, sender=model, dispatch_uid=f"api-origin-{model._meta.label}")
