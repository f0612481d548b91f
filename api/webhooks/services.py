"""Webhooks: registered by an organisation's admins, delivered after commit by Celery.

``enqueue`` is called after the transaction that wrote the event commits: it finds the
active webhooks of the organisations concerned that want this event, writes one delivery
each and hands them to the ``api.deliver_webhook`` task. A delivery that fails is tried
again by ``api.retry_webhooks`` (Celery beat) with a growing delay: 1, 2, 4, 8… minutes,
``API_WEBHOOK_ATTEMPTS`` attempts in all.
"""

import datetime as dt
import json
import secrets
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from acteurs.models import Organisation, Role
from acteurs.permissions import has_role, organisations_with_role
from core.errors import InvalidInput, NotFound, NotPermitted

from ..models import DeliveryStatus, Webhook, WebhookDelivery, WebhookEvent
from . import signing

RESPONSE_KEPT_CHARS = 500


# --- who manages webhooks --------------------------------------------------------------------


def admin_organisations(user) -> QuerySet[Organisation]:
    """Organisations whose webhooks this user manages: those they administer."""
    queryset = Organisation.objects.all()
    if not user.is_superuser:
        queryset = queryset.filter(pk__in=organisations_with_role(user, {Role.ADMIN}))
    return queryset.order_by("name")


def webhooks_for(user) -> QuerySet[Webhook]:
    return (
        Webhook.objects.filter(organisation__in=admin_organisations(user))
        .select_related("organisation")
        .order_by("-id")
    )


def webhook_for(user, pk: int) -> Webhook:
    webhook = webhooks_for(user).filter(pk=pk).first()
    if webhook is None:
        raise NotFound(_("Ce webhook n'existe pas."))
    return webhook


def deliveries_of(webhook: Webhook, *, limit: int = 50) -> list[WebhookDelivery]:
    return list(webhook.deliveries.order_by("-id")[:limit])


def check_url(url: str) -> str:
    parts = urlsplit(url)
    allowed = {"https", "http"} if settings.API_WEBHOOK_ALLOW_HTTP else {"https"}
    if parts.scheme not in allowed or not parts.hostname:
        raise InvalidInput(
            _("L'adresse du récepteur doit commencer par https://."), code="webhook_https"
        )
    return url


def webhook_create(actor, *, organisation: Organisation, url: str, events: list[str]) -> Webhook:
    if not (actor.is_superuser or has_role(actor, organisation.pk, {Role.ADMIN})):
        raise NotPermitted(_("Seuls les administrateurs d'une organisation gèrent ses webhooks."))
    unknown = set(events) - set(WebhookEvent.values)
    if not events or unknown:
        raise InvalidInput(_("Choisissez au moins un événement."), code="webhook_events")
    webhook = Webhook.objects.create(
        organisation=organisation,
        url=check_url(url),
        events=sorted(set(events)),
        secret=secrets.token_hex(32),
        created_by=actor,
    )
    return webhook


def webhook_delete(actor, pk: int) -> None:
    with transaction.atomic():
        webhook = webhook_for(actor, pk)
        webhook.delete()


# --- sending ---------------------------------------------------------------------------------


def enqueue(event: str, organisation_ids, payload: dict) -> list[int]:
    """One delivery per active webhook of these organisations that wants ``event``; the
    task sends each. Called after commit (hooks.py)."""
    ids = {i for i in organisation_ids if i}
    if not ids:
        return []
    hooks = [
        w
        for w in Webhook.objects.filter(organisation_id__in=ids, is_active=True)
        if event in w.events
    ]
    if not hooks:
        return []
    body = {"event": event, "sent_at": timezone.now().isoformat(), **payload}
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(webhook=w, event=event, payload=body) for w in hooks
    )
    from ..tasks import deliver_webhook

    for delivery in deliveries:
        deliver_webhook.delay(delivery.pk)
    return [d.pk for d in deliveries]


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(minutes=2 ** max(attempts - 1, 0))


def deliver(delivery_id: int) -> str:
    """Send one delivery now; record the answer and when to try again."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("webhook")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED):
            return delivery.status if delivery else "gone"
        webhook = delivery.webhook
        body = json.dumps(delivery.payload, cls=DjangoJSONEncoder).encode("utf-8")
        status, text, error = _post(webhook, delivery, body)
        now = timezone.now()
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.response_status = status
        delivery.response_body = text[:RESPONSE_KEPT_CHARS]
        delivery.error = error[:300]
        if status is not None and 200 <= status < 300:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.next_attempt_at = None
        elif delivery.attempts >= settings.API_WEBHOOK_ATTEMPTS or not webhook.is_active:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.status = DeliveryStatus.RETRYING
            delivery.next_attempt_at = now + backoff(delivery.attempts)
        delivery.save()
        return delivery.status


def _post(webhook: Webhook, delivery: WebhookDelivery, body: bytes):
    request = urllib.request.Request(
        webhook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Filiere-Webhooks/1",
            "X-Filiere-Event": delivery.event,
            "X-Filiere-Delivery": str(delivery.pk),
            signing.HEADER: signing.header_value(webhook.secret, body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.API_WEBHOOK_TIMEOUT_S) as answer:
            return answer.status, answer.read(RESPONSE_KEPT_CHARS).decode("utf-8", "replace"), ""
    except urllib.error.HTTPError as answer:
        return answer.code, answer.read(RESPONSE_KEPT_CHARS).decode("utf-8", "replace"), ""
    except (urllib.error.URLError, OSError, ValueError) as failure:
        return None, "", str(getattr(failure, "reason", failure))


def due_for_retry(now=None) -> list[int]:
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.RETRYING, next_attempt_at__lte=now
        ).values_list("pk", flat=True)[:500]
    )
