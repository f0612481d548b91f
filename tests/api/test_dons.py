"""Gisements and donations through the API."""

import pytest
from django.utils import timezone

from dons.models import Donation, DonationEvent
from tests.dons.factories import DonationFactory, DonationLineFactory, GisementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def gisement(refurbisher):
    return GisementFactory(refurbisher=refurbisher)


def test_gisements_read_scoped(api, technician, gisement, other_refurbisher, prescriber):
    GisementFactory(refurbisher=other_refurbisher)
    client = api(technician, "read")
    body = client.get("/api/v1/gisements/").json()
    assert [row["id"] for row in body["results"]] == [gisement.pk]
    assert client.get(f"/api/v1/gisements/{gisement.pk}/").json()["name"] == gisement.name
    foreign = GisementFactory(refurbisher=other_refurbisher)
    assert client.get(f"/api/v1/gisements/{foreign.pk}/").status_code == 404
    assert api(prescriber, "read").get("/api/v1/gisements/").json()["count"] == 0
    assert client.get("/api/v1/gisements/?donor_kind=martian").status_code == 400


def test_gisement_list_query_budget(api, technician, refurbisher, django_assert_max_num_queries):
    for _ in range(3):
        GisementFactory(refurbisher=refurbisher)
    client = api(technician, "read")
    client.get("/api/v1/gisements/")
    with django_assert_max_num_queries(4):
        client.get("/api/v1/gisements/?page_size=2")
    for _ in range(20):
        GisementFactory(refurbisher=refurbisher)
    with django_assert_max_num_queries(4):
        assert len(client.get("/api/v1/gisements/?page_size=20").json()["results"]) == 20


def test_donation_created_and_moved_with_the_token_in_history(api, staff, gisement):
    client = api(staff, "pool", name="logiciel collecte")
    response = client.post(
        "/api/v1/donations/",
        {"gisement": gisement.pk, "lines": [{"kind": "laptop", "quantity": 12}]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    donation_id = response.json()["id"]
    assert response.json()["lines"] == [{"kind": "laptop", "quantity": 12}]
    url = f"/api/v1/donations/{donation_id}/transitions/"
    assert client.post(url + "collect/", {"expected_state": "announced"}).status_code == 201
    no_date = client.post(url + "receive/", {}, format="json")
    assert no_date.status_code == 400 and no_date.json()["code"] == "received_on_required"
    received = client.post(
        url + "receive/", {"received_on": timezone.localdate().isoformat()}, format="json"
    )
    assert received.status_code == 201, received.json()
    assert Donation.objects.get(pk=donation_id).state == "received"
    events = DonationEvent.objects.filter(donation_id=donation_id)
    assert events.count() == 3
    assert all(e.data.get("token") == "logiciel collecte" for e in events)
    stale = client.post(url + "close/", {"expected_state": "announced"}, format="json")
    assert stale.status_code == 409 and stale.json()["code"] == "changed"
    assert client.post(url + "fly/", {}, format="json").status_code == 404


def test_donation_refusals(api, technician, staff, gisement, other_refurbisher):
    foreign = GisementFactory(refurbisher=other_refurbisher)
    client = api(staff, "pool")
    assert client.post("/api/v1/donations/", {"gisement": foreign.pk}).status_code == 404
    bad = client.post("/api/v1/donations/", {"gisement": "x"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    # A technician reads donations but does not manage them.
    denied = api(technician, "pool").post("/api/v1/donations/", {"gisement": gisement.pk})
    assert denied.status_code == 403 and denied.json()["code"] == "not_permitted"
    donation = DonationFactory(gisement=gisement)
    future = api(staff, "pool").post(
        f"/api/v1/donations/{donation.pk}/transitions/receive/",
        {"received_on": "2099-01-01"},
        format="json",
    )
    assert future.status_code == 400
    assert (
        api(staff, "read").post("/api/v1/donations/", {"gisement": gisement.pk}).status_code == 403
    )


def test_donation_read_and_budget(api, technician, gisement, django_assert_max_num_queries):
    for _ in range(3):
        DonationLineFactory(donation=DonationFactory(gisement=gisement))
    client = api(technician, "read")
    client.get("/api/v1/donations/")
    with django_assert_max_num_queries(5):
        body = client.get("/api/v1/donations/?page_size=2").json()
    assert len(body["results"]) == 2 and body["results"][0]["lines"]
    for _ in range(20):
        DonationLineFactory(donation=DonationFactory(gisement=gisement))
    with django_assert_max_num_queries(5):
        assert len(client.get("/api/v1/donations/?page_size=20").json()["results"]) == 20
    donation = Donation.objects.first()
    assert client.get(f"/api/v1/donations/{donation.pk}/").json()["id"] == donation.pk
