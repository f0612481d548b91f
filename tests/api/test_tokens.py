"""Tokens: stored hashed, named, expiring, scoped; created and revoked on the account page;
agent tokens only for an organisation's admins and only for its devices; throttled per
token; the browser's session needs CSRF for writes."""

import datetime as dt
import hashlib

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiToken
from api.tokens import token_create, token_revoke
from parc.models import Device
from tests.acteurs.factories import UserFactory
from tests.parc.factories import DeviceFactory

pytestmark = pytest.mark.django_db


def bearer(clear):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {clear}")
    return client


def test_token_is_stored_hashed(technician):
    token, clear = token_create(technician, name="tableur", scope="read", days=30)
    assert clear.startswith("fil_") and len(clear) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.digest == hashlib.sha256(clear.encode()).hexdigest()
    assert clear not in str(ApiToken.objects.filter(pk=token.pk).values().get())


def test_unknown_expired_and_revoked_tokens_are_401_with_their_code(technician):
    assert bearer("fil_nope").get("/api/v1/devices/").json()["code"] == "token_unknown"
    token, clear = token_create(technician, name="vieux", scope="read", days=30)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    expired = bearer(clear).get("/api/v1/devices/")
    assert expired.status_code == 401
    assert expired.json() == {
        "code": "token_expired",
        "message": "Ce jeton a expiré : créez-en un nouveau.",
    }
    assert expired["WWW-Authenticate"].startswith("Bearer")
    token, clear = token_create(technician, name="perdu", scope="read", days=30)
    token_revoke(technician, token.pk)
    assert bearer(clear).get("/api/v1/devices/").json()["code"] == "token_revoked"
    anonymous = APIClient().get("/api/v1/devices/")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"
    malformed = APIClient(HTTP_AUTHORIZATION="Bearer a b").get("/api/v1/devices/")
    assert malformed.json()["code"] == "token_malformed"


def test_scopes(api, technician, staff, refurbisher):
    device = DeviceFactory(owner=refurbisher)
    transition = f"/api/v1/devices/{device.public_code}/transitions/start_triage/"
    assert api(technician, "read").post(transition).json()["code"] == "scope_insufficient"
    assert api(technician, "requests").post(transition).status_code == 403
    assert api(technician, "pool").post(transition).status_code == 201
    # Reads are open to every scope but the agent's.
    assert api(technician, "requests").get("/api/v1/devices/").status_code == 200


def test_agent_token_only_for_admins_and_only_its_organisation(
    api, admin, technician, refurbisher, other_refurbisher
):
    from core.errors import NotPermitted

    with pytest.raises(NotPermitted):
        token_create(technician, name="x", scope="agent", days=30, organisation=refurbisher)
    with pytest.raises(NotPermitted):
        token_create(admin, name="x", scope="agent", days=30, organisation=other_refurbisher)
    agent = api(admin, "agent", organisation=refurbisher)
    mine = DeviceFactory(owner=refurbisher)
    theirs = DeviceFactory(owner=other_refurbisher)
    assert agent.get(f"/api/v1/devices/{mine.public_code}/").status_code == 200
    assert agent.get(f"/api/v1/devices/{theirs.public_code}/").status_code == 404
    # Registration, yes; the list, reports, households, transitions: no.
    assert agent.post("/api/v1/devices/", {"kind": "laptop"}, format="json").status_code == 201
    assert Device.objects.filter(owner=refurbisher).count() == 2
    for method, url in (
        ("get", "/api/v1/devices/"),
        ("get", "/api/v1/reports/pool/"),
        ("get", "/api/v1/households/"),
        ("post", f"/api/v1/devices/{mine.public_code}/transitions/start_triage/"),
        ("post", f"/api/v1/devices/{mine.public_code}/moves/"),
    ):
        response = getattr(agent, method)(url)
        assert response.status_code == 403, url
        assert response.json()["code"] == "scope_insufficient"
    foreign = agent.post(
        "/api/v1/devices/", {"kind": "laptop", "owner": other_refurbisher.pk}, format="json"
    )
    assert foreign.status_code == 403 and foreign.json()["code"] == "agent_other_organisation"


def test_agent_token_stops_when_its_creator_leaves(api, admin, refurbisher):
    agent = api(admin, "agent", organisation=refurbisher)
    device = DeviceFactory(owner=refurbisher)
    admin.memberships.all().delete()
    assert agent.get(f"/api/v1/devices/{device.public_code}/").status_code == 403


@override_settings(
    REST_FRAMEWORK={
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "3/min", "session": "3/min", "anonymous": "3/min"},
    }
)
def test_throttled_per_token(technician):
    cache.clear()
    try:
        _t, first = token_create(technician, name="a", scope="read", days=30)
        _t, second = token_create(technician, name="b", scope="read", days=30)
        for _ in range(3):
            assert bearer(first).get("/api/v1/devices/").status_code == 200
        throttled = bearer(first).get("/api/v1/devices/")
        assert throttled.status_code == 429
        assert throttled.json()["code"] == "throttled" and throttled["Retry-After"]
        assert bearer(second).get("/api/v1/devices/").status_code == 200
    finally:
        cache.clear()


def test_session_writes_need_csrf(technician, refurbisher):
    device = DeviceFactory(owner=refurbisher)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(technician)
    assert client.get(f"/api/v1/devices/{device.public_code}/").status_code == 200
    refused = client.post(f"/api/v1/devices/{device.public_code}/transitions/start_triage/")
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    event = device.events.count()
    assert event == 0


def test_account_page_creates_shows_once_and_revokes(client, technician):
    client.force_login(technician)
    page = client.get("/compte/api/")
    assert page.status_code == 200
    assert "agent" not in [c[0] for c in page.context["form"].fields["scope"].choices]
    created = client.post("/compte/api/", {"name": "Tableur", "scope": "read", "days": "90"})
    assert created.status_code == 200
    token, clear = created.context["created"]
    assert clear.encode() in created.content
    assert "no-store" in created["Cache-Control"] or "max-age=0" in created["Cache-Control"]
    again = client.get("/compte/api/")
    assert clear.encode() not in again.content and b"Tableur" in again.content
    assert bearer(clear).get("/api/v1/devices/").status_code == 200
    client.post(f"/compte/api/jetons/{token.pk}/revoquer/")
    assert bearer(clear).get("/api/v1/devices/").status_code == 401
    # Someone else's token cannot be revoked (not found).
    other, _clear = token_create(UserFactory(username="x"), name="autre", scope="read", days=30)
    client.post(f"/compte/api/jetons/{other.pk}/revoquer/")
    assert ApiToken.objects.get(pk=other.pk).revoked_at is None


def test_admin_creates_an_agent_token_on_the_page(client, admin, refurbisher):
    client.force_login(admin)
    response = client.post(
        "/compte/api/",
        {
            "name": "Clé atelier",
            "scope": "agent",
            "days": "30",
            "organisation": refurbisher.pk,
            "nwipe_method": "dodshort",
        },
    )
    token, _clear = response.context["created"]
    assert token.organisation == refurbisher and token.nwipe_method == "dodshort"
    missing = client.post("/compte/api/", {"name": "Sans atelier", "scope": "agent", "days": "30"})
    assert missing.context["created"] is None
    assert "organisation" in missing.content.decode()


def test_agent_page_shows_the_checksum_and_serves_the_file(client, technician):
    from pathlib import Path

    source = (Path(__file__).parents[2] / "agent" / "filiere_agent.py").read_bytes()
    client.force_login(technician)
    page = client.get("/compte/api/agent/").content.decode()
    assert hashlib.sha256(source).hexdigest() in page
    download = client.get("/compte/api/agent/filiere_agent.py")
    assert b"".join(download.streaming_content) == source
    assert "attachment" in download["Content-Disposition"]
