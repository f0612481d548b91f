"""Households, requests and loans through the API (the prescribers' tools)."""

import pytest

from acteurs.consent import CURRENT_CONSENT_VERSION
from acteurs.models import Household
from prets.models import DeviceRequest, RequestEvent
from tests.acteurs.factories import CommuneFactory, HouseholdFactory
from tests.prets.factories import DeviceRequestFactory, EligibilityCheckFactory, LoanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ccas(prescriber):
    return prescriber.memberships.get().organisation


def household_payload(**extra):
    return {
        "name": "Mme Martin",
        "commune": CommuneFactory().insee_code,
        "size": 3,
        "informed": True,
        "consent_version": CURRENT_CONSENT_VERSION,
        **extra,
    }


def test_prescriber_tool_records_a_household_and_requests_a_device(
    api, prescriber, ccas, refurbisher
):
    client = api(prescriber, "requests", name="logiciel CCAS")
    created = client.post("/api/v1/households/", household_payload(), format="json")
    assert created.status_code == 201, created.json()
    household_id = created.json()["id"]
    assert Household.objects.get(pk=household_id).organisation == ccas
    check = client.post(
        f"/api/v1/households/{household_id}/eligibility-checks/",
        {"criterion": "rsa", "proof_kind": "notification de droits"},
        format="json",
    )
    assert check.status_code == 201, check.json()
    response = client.post(
        "/api/v1/requests/",
        {
            "household": household_id,
            "refurbisher": refurbisher.pk,
            "device_kind": "laptop",
            "purpose": "procedures",
            "mode": "loan",
            "eligibility": check.json()["id"],
            "consent_informed": True,
            "submit": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "submitted"
    assert [e["action"] for e in body["history"]] == ["submit", "create"]
    assert all(e["data"].get("token") == "logiciel CCAS" for e in body["history"])
    read = client.get(f"/api/v1/requests/{body['id']}/").json()
    assert read["state_label"] == "Envoyée"


def test_household_refusals(api, prescriber, technician, ccas):
    client = api(prescriber, "requests")
    old = client.post(
        "/api/v1/households/", household_payload(consent_version="2019-0"), format="json"
    )
    assert old.status_code == 400 and old.json()["code"] == "consent_version_outdated"
    uninformed = client.post(
        "/api/v1/households/", household_payload(informed=False), format="json"
    )
    assert uninformed.status_code == 400 and uninformed.json()["code"] == "consent_missing"
    assert client.post("/api/v1/households/", {"name": ""}, format="json").status_code == 400
    bad_commune = client.post(
        "/api/v1/households/", household_payload(commune="99999"), format="json"
    )
    assert bad_commune.json()["code"] == "unknown_commune"
    # A technician of a refurbisher follows no household.
    refused = api(technician, "requests").post(
        "/api/v1/households/", household_payload(), format="json"
    )
    assert refused.status_code == 400 and refused.json()["code"] == "unknown_organisation"
    pool_token = api(prescriber, "pool").post(
        "/api/v1/households/", household_payload(), format="json"
    )
    assert pool_token.status_code == 403 and pool_token.json()["code"] == "scope_insufficient"
    assert not Household.objects.exists()


def test_households_and_requests_of_another_organisation_are_404(
    api, prescriber, ccas, refurbisher
):
    foreign = HouseholdFactory()
    foreign_request = DeviceRequestFactory(household=foreign, refurbisher=refurbisher)
    client = api(prescriber, "requests")
    assert client.get(f"/api/v1/households/{foreign.pk}/").status_code == 404
    assert client.get(f"/api/v1/requests/{foreign_request.pk}/").status_code == 404
    response = client.post(
        "/api/v1/requests/",
        {
            "household": foreign.pk,
            "refurbisher": refurbisher.pk,
            "device_kind": "laptop",
            "purpose": "procedures",
            "mode": "loan",
            "consent_informed": True,
        },
        format="json",
    )
    assert response.status_code == 404
    assert (
        client.post(
            f"/api/v1/households/{foreign.pk}/eligibility-checks/", {"criterion": "rsa"}
        ).status_code
        == 404
    )


def test_desk_approves_and_prescriber_cannot(api, prescriber, staff, ccas, refurbisher):
    household = HouseholdFactory(organisation=ccas)
    request = DeviceRequestFactory(
        household=household,
        refurbisher=refurbisher,
        state="submitted",
        eligibility=EligibilityCheckFactory(household=household),
    )
    url = f"/api/v1/requests/{request.pk}/transitions/approve/"
    denied = api(prescriber, "requests").post(url, {}, format="json")
    assert denied.status_code == 403
    ok = api(staff, "requests", name="guichet").post(url, {"expected_state": "submitted"})
    assert ok.status_code == 201, ok.json()
    assert DeviceRequest.objects.get(pk=request.pk).state == "approved"
    assert RequestEvent.objects.filter(request=request).first().data["token"] == "guichet"
    reject = api(staff, "requests").post(
        f"/api/v1/requests/{request.pk}/transitions/reject/", {}, format="json"
    )
    assert reject.status_code in (400, 409)


def test_request_list_budget(api, prescriber, ccas, refurbisher, django_assert_max_num_queries):
    for _ in range(3):
        DeviceRequestFactory(household=HouseholdFactory(organisation=ccas), refurbisher=refurbisher)
    client = api(prescriber, "read")
    client.get("/api/v1/requests/")
    with django_assert_max_num_queries(4):
        client.get("/api/v1/requests/?page_size=2")
    for _ in range(20):
        DeviceRequestFactory(household=HouseholdFactory(organisation=ccas), refurbisher=refurbisher)
    with django_assert_max_num_queries(4):
        assert len(client.get("/api/v1/requests/?page_size=20").json()["results"]) == 20
    assert client.get("/api/v1/requests/?state=nope").status_code == 400


def test_loans_read(api, staff, prescriber, refurbisher, outsider, django_assert_max_num_queries):
    loans = [LoanFactory(request__refurbisher=refurbisher) for _ in range(3)]
    client = api(staff, "read")
    client.get("/api/v1/loans/")
    with django_assert_max_num_queries(5):
        body = client.get("/api/v1/loans/?page_size=2").json()
    assert body["count"] == 3 and body["results"][0]["device"].startswith("FIL-")
    for _ in range(10):
        LoanFactory(request__refurbisher=refurbisher)
    with django_assert_max_num_queries(5):
        assert len(client.get("/api/v1/loans/?page_size=10").json()["results"]) == 10
    assert client.get(f"/api/v1/loans/{loans[0].pk}/").json()["id"] == loans[0].pk
    assert api(outsider, "read").get(f"/api/v1/loans/{loans[0].pk}/").status_code == 404
    assert client.get("/api/v1/loans/?filter=someday").status_code == 400
