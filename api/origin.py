"""Who wrote through the API: every history row written during an API request says so.

The apps below write their own event rows through their services; they do not know about the
API. While an API request runs, this module holds ``{"via": "api", "token": "<name>"}`` (the
token's name, or no token for the browser's session) and a ``pre_save`` receiver adds it to
each new event row: in its ``data`` when the event model has that column, else at the end of
its ``note``. So a device registered, a medium added, an erasure or a transition made by a
program shows the token's name in the device's history, whatever service wrote the row.

Bulk registration writes its events without ``save()``: the API passes the same dictionary
as each row's ``event_data`` (api/views/devices.py).
"""

from contextvars import ContextVar

from django.apps import apps
from django.db.models.signals import pre_save
from django.utils.translation import gettext as _

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


def _is_event_model(model) -> bool:
    names = {field.name for field in model._meta.concrete_fields}
    return {"action", "at", "note"} <= names and model.__name__.endswith("Event")


def _stamp(sender, instance, **kwargs):
    origin = _current.get()
    if origin is None or not instance._state.adding:
        return
    if any(field.name == "data" for field in sender._meta.concrete_fields):
        instance.data = {**origin, **(instance.data or {})}
        return
    mark = (
        _("via l'API, jeton « %(name)s »") % {"name": origin["token"]}
        if "token" in origin
        else _("via l'API")
    )
    limit = sender._meta.get_field("note").max_length
    note = f"{instance.note} ({mark})" if instance.note else mark
    if limit and len(note) > limit:
        note = note[:limit]
    instance.note = note


def connect() -> None:
    for model in apps.get_models():
        if _is_event_model(model):
            pre_save.connect(_stamp, sender=model, dispatch_uid=f"api-origin-{model._meta.label}")
