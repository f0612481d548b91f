"""Where webhooks start: the apps below write their event rows and know nothing of this app;
it listens to those rows being saved (``post_save``) and, once the transaction commits,
hands the event to ``services.enqueue``. The receivers read only the saved row and the
objects it was created with: they cost no query inside the writer's transaction.

- ``request.state_changed``: a ``prets.RequestEvent`` that changes the request's state, to
  the prescribing organisation and the refurbisher (both see the request);
- ``device.ready``: a ``parc.DeviceEvent`` of ``mark_ready``, to the device's owner;
- ``loan.due``: the loan reminders (``prets.SentReminder``, written in bulk without a signal)
  are read after the fact by ``tasks.loan_due_webhooks`` (Celery beat).

Payloads carry ids, codes, states and dates: no name, no contact, nothing about a household
that the receiving organisation does not already see on its pages.
"""

from django.apps import apps
from django.db import transaction
from django.db.models.signals import post_save

from ..models import WebhookEvent


def _after_commit(event: str, organisation_ids, payload: dict) -> None:
    from .services import enqueue

    transaction.on_commit(lambda: enqueue(event, organisation_ids, payload))


def request_event_saved(sender, instance, created, **kwargs):
    if not created or not instance.source_state or instance.source_state == instance.target_state:
        return
    request = instance.request
    _after_commit(
        WebhookEvent.REQUEST_STATE,
        [request.prescriber_org_id, request.refurbisher_id],
        {
            "request": {
                "id": request.pk,
                "state": instance.target_state,
                "previous_state": instance.source_state,
                "action": instance.action,
                "prescriber_org": request.prescriber_org_id,
                "refurbisher": request.refurbisher_id,
                "at": instance.at.isoformat(),
            }
        },
    )


def device_event_saved(sender, instance, created, **kwargs):
    if not created or instance.action != "mark_ready":
        return
    device = instance.device
    _after_commit(
        WebhookEvent.DEVICE_READY,
        [device.owner_id],
        {
            "device": {
                "id": device.pk,
                "code": device.public_code,
                "kind": device.kind,
                "grade": device.grade,
                "owner": device.owner_id,
                "at": instance.at.isoformat(),
            }
        },
    )


def connect() -> None:
    post_save.connect(
        request_event_saved,
        sender=apps.get_model("prets", "RequestEvent"),
        dispatch_uid="api-webhooks-request",
    )
    post_save.connect(
        device_event_saved,
        sender=apps.get_model("parc", "DeviceEvent"),
        dispatch_uid="api-webhooks-device",
    )
