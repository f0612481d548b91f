"""Webhooks: registered by an organisation's admins, sent after commit, signed (the test
receiver checks the signature over the raw body), retried with a growing delay, listed with
their answers; no personal data in the payloads."""

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings
from django.utils import timezone

from api.models import DeliveryStatus, Webhook, WebhookDelivery
from api.tasks import loan_due_webhooks, retry_webhooks
from api.webhooks import signing
from api.webhooks.services import webhook_create
from core.errors import InvalidInput, NotPermitted
from parc.checklists import checklist_for
from prets.models import ReminderKind, SentReminder
from prets.services import request_approve
from tests.acteurs.factories import HouseholdFactory
from tests.parc.factories import DeviceFactory
from tests.prets.factories import DeviceRequestFactory, EligibilityCheckFactory, LoanFactory


class Receiver:
    """An HTTP receiver on 127.0.0.1 that checks each delivery's signature."""

    def __init__(self, secret_of, answers=None):
        self.received = []
        self.answers = list(answers or [])
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                secret = secret_of()
                valid = signing.verify(secret, self.headers.get(signing.HEADER, ""), body)
                receiver.received.append(
                    {
                        "body": json.loads(body),
                        "valid": valid,
                        "event": self.headers["X-Filiere-Event"],
                    }
                )
                status = receiver.answers.pop(0) if receiver.answers else 204
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"merci" if status < 300 else b"indisponible")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/filiere"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    holder = {}
    made = Receiver(lambda: holder["secret"])
    made.holder = holder
    yield made
    made.close()


@pytest.fixture
def allow_http():
    with override_settings(API_WEBHOOK_ALLOW_HTTP=True):
        yield


pytestmark = pytest.mark.django_db(transaction=True)


def test_only_https_and_only_admins(admin, technician, refurbisher):
    with pytest.raises(InvalidInput):
        webhook_create(
            admin, organisation=refurbisher, url="http://x.example", events=["device.ready"]
        )
    with pytest.raises(NotPermitted):
        webhook_create(
            technician, organisation=refurbisher, url="https://x.example", events=["device.ready"]
        )
    with pytest.raises(InvalidInput):
        webhook_create(admin, organisation=refurbisher, url="https://x.example", events=[])


def test_device_ready_is_signed_and_sent_after_commit(
    api, admin, technician, refurbisher, receiver, allow_http
):
    webhook = webhook_create(
        admin, organisation=refurbisher, url=receiver.url, events=["device.ready"]
    )
    receiver.holder["secret"] = webhook.secret
    device = DeviceFactory(owner=refurbisher, kind="desktop", received_without_storage=True)
    client = api(technician, "pool")
    for name in ("start_triage", "wipe", "start_refurbishment"):
        client.post(f"/api/v1/devices/{device.public_code}/transitions/{name}/")
    assert receiver.received == []  # other transitions: nothing
    checklist = {key: True for key, _ in checklist_for("desktop")}
    client.post(
        f"/api/v1/devices/{device.public_code}/transitions/mark_ready/",
        {"grade": "A", "checklist": checklist},
        format="json",
    )
    assert len(receiver.received) == 1
    delivery = receiver.received[0]
    assert delivery["valid"] is True
    assert delivery["event"] == "device.ready"
    assert delivery["body"]["device"]["code"] == device.public_code
    assert delivery["body"]["device"]["grade"] == "A"
    stored = WebhookDelivery.objects.get()
    assert stored.status == DeliveryStatus.DELIVERED and stored.response_status == 204


def test_a_tampered_body_fails_verification():
    header = signing.header_value("secret", b'{"a": 1}')
    assert signing.verify("secret", header, b'{"a": 1}')
    assert not signing.verify("secret", header, b'{"a": 2}')
    assert not signing.verify("other", header, b'{"a": 1}')
    old = signing.header_value("secret", b"x", timestamp=1_000_000)
    assert not signing.verify("secret", old, b"x")


def test_request_state_changed_to_both_sides_without_personal_data(
    prescriber, staff, admin, refurbisher, receiver, allow_http
):
    ccas = prescriber.memberships.get().organisation
    from tests.acteurs.factories import MembershipFactory, UserFactory

    ccas_admin = UserFactory(username="admin-ccas")
    MembershipFactory(user=ccas_admin, organisation=ccas, role="admin")
    first = webhook_create(
        admin, organisation=refurbisher, url=receiver.url, events=["request.state_changed"]
    )
    second = webhook_create(
        ccas_admin, organisation=ccas, url=receiver.url, events=["request.state_changed"]
    )
    secrets = {first.pk: first.secret, second.pk: second.secret}
    household = HouseholdFactory(organisation=ccas, name="Mme Secrète", email="secret@ex.fr")
    request = DeviceRequestFactory(
        household=household,
        refurbisher=refurbisher,
        state="submitted",
        eligibility=EligibilityCheckFactory(household=household),
    )
    # The two webhooks have different secrets: check each delivery against its own.
    receiver.holder["secret"] = first.secret
    request_approve(request.pk, staff)
    assert len(receiver.received) == 2
    deliveries = WebhookDelivery.objects.order_by("webhook_id")
    for delivery in deliveries:
        body = json.dumps(delivery.payload).encode()
        header = signing.header_value(secrets[delivery.webhook_id], body)
        assert signing.verify(secrets[delivery.webhook_id], header, body)
    for received in receiver.received:
        text = json.dumps(received["body"])
        assert received["body"]["request"]["state"] == "approved"
        assert received["body"]["request"]["previous_state"] == "submitted"
        assert "Secrète" not in text and "secret@ex.fr" not in text and "household" not in text


def test_failed_delivery_retried_with_backoff_then_given_up(
    admin, technician, refurbisher, allow_http, settings
):
    settings.API_WEBHOOK_ATTEMPTS = 3
    receiver = Receiver(lambda: webhook.secret, answers=[503, 500, 503])
    try:
        webhook = webhook_create(
            admin, organisation=refurbisher, url=receiver.url, events=["device.ready"]
        )
        from api.webhooks.services import enqueue

        [delivery_id] = enqueue("device.ready", [refurbisher.pk], {"device": {"id": 1}})
        delivery = WebhookDelivery.objects.get(pk=delivery_id)
        assert delivery.status == DeliveryStatus.RETRYING and delivery.attempts == 1
        assert delivery.response_status == 503 and delivery.response_body == "indisponible"
        first_delay = delivery.next_attempt_at - delivery.last_attempt_at
        assert dt.timedelta(seconds=59) < first_delay <= dt.timedelta(minutes=1, seconds=1)
        assert retry_webhooks() == 0  # not due yet
        WebhookDelivery.objects.filter(pk=delivery_id).update(next_attempt_at=timezone.now())
        assert retry_webhooks() == 1
        delivery.refresh_from_db()
        assert delivery.attempts == 2
        assert delivery.next_attempt_at - delivery.last_attempt_at > dt.timedelta(
            minutes=1, seconds=30
        )
        WebhookDelivery.objects.filter(pk=delivery_id).update(next_attempt_at=timezone.now())
        retry_webhooks()
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 3
        assert len(receiver.received) == 3 and all(r["valid"] for r in receiver.received)
    finally:
        receiver.close()


def test_loan_due_from_the_reminders_sent(admin, refurbisher, receiver, allow_http):
    webhook = webhook_create(admin, organisation=refurbisher, url=receiver.url, events=["loan.due"])
    receiver.holder["secret"] = webhook.secret
    loan = LoanFactory(request__refurbisher=refurbisher)
    SentReminder.objects.create(loan=loan, kind=ReminderKind.BEFORE_DUE, due_on=loan.due_on)
    assert loan_due_webhooks() == 1
    assert loan_due_webhooks() == 0  # the cursor moved on
    body = receiver.received[0]["body"]
    assert body["loan"]["id"] == loan.pk and body["loan"]["due_on"] == loan.due_on.isoformat()
    assert receiver.received[0]["valid"]
    assert loan.household.name not in json.dumps(body)


def test_webhook_pages_for_admins_only(client, admin, technician, refurbisher, receiver):
    client.force_login(technician)
    assert client.get("/compte/api/webhooks/").status_code == 404
    client.force_login(admin)
    assert client.get("/compte/api/webhooks/").status_code == 200
    response = client.post(
        "/compte/api/webhooks/",
        {
            "organisation": refurbisher.pk,
            "url": "https://recepteur.example/f",
            "events": ["loan.due"],
        },
    )
    webhook = Webhook.objects.get()
    assert response.status_code == 302
    page = client.get(f"/compte/api/webhooks/{webhook.pk}/").content.decode()
    assert webhook.secret in page
    client.force_login(technician)
    assert client.get(f"/compte/api/webhooks/{webhook.pk}/").status_code == 404


def test_the_verification_code_in_the_docs_accepts_a_delivery_and_refuses_a_forgery():
    """docs/api.md shows receivers how to check a signature: that code works."""
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "api.md").read_text()
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - our own documentation
    body = b'{"event": "device.ready"}'
    header = signing.header_value("s3cret", body)
    assert namespace["verifie"]("s3cret", header, body)
    assert not namespace["verifie"]("s3cret", header, body + b" ")
