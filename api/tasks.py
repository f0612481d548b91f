"""Background work of the API: webhook deliveries, their retries, the loan-due scan."""

from celery import shared_task
from django.db import transaction


@shared_task(name="api.deliver_webhook", ignore_result=True)
def deliver_webhook(delivery_id: int) -> str:
    from .webhooks.services import deliver

    return deliver(delivery_id)


@shared_task(name="api.retry_webhooks", ignore_result=True)
def retry_webhooks() -> int:
    """Celery beat, every minute: deliveries whose next attempt is due."""
    from .webhooks.services import deliver, due_for_retry

    ids = due_for_retry()
    for delivery_id in ids:
        deliver(delivery_id)
    return len(ids)


@shared_task(name="api.loan_due_webhooks", ignore_result=True)
def loan_due_webhooks() -> int:
    """Celery beat: a ``loan.due`` delivery for each loan reminder sent since the last run
    (to the lending organisation and the prescriber's), the scan's position kept in
    ``WebhookCursor``."""
    from prets.models import SentReminder

    from .models import WebhookCursor, WebhookEvent
    from .webhooks.services import enqueue

    sent = 0
    with transaction.atomic():
        cursor, _created = WebhookCursor.objects.select_for_update().get_or_create(name="loan_due")
        reminders = list(
            SentReminder.objects.filter(pk__gt=cursor.last_id)
            .select_related("loan__device", "loan__request")
            .order_by("pk")[:1000]
        )
        for reminder in reminders:
            loan = reminder.loan
            payload = {
                "loan": {
                    "id": loan.pk,
                    "device": loan.device.public_code,
                    "due_on": reminder.due_on.isoformat(),
                    "reminder": reminder.kind,
                    "organisation": loan.organisation_id,
                    "prescriber_org": loan.request.prescriber_org_id,
                }
            }
            sent += len(
                enqueue(
                    WebhookEvent.LOAN_DUE,
                    [loan.organisation_id, loan.request.prescriber_org_id],
                    payload,
                )
            )
        if reminders:
            cursor.last_id = reminders[-1].pk
            cursor.save(update_fields=["last_id"])
    return sent
