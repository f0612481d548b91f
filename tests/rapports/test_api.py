"""The reports through the API (api/views/rapports.py): the same figures as the pages, for
the same scope, and nothing personal for a funder."""

import pytest
from rest_framework.test import APIClient

from api.tokens import token_create

from .conftest import EXPECTED, HOUSEHOLDS

pytestmark = pytest.mark.django_db


def client_for(user, scope="read"):
    _token, clear = token_create(user, name="tableur", scope=scope, days=30)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {clear}")
    return client


def test_gisement_report_figures_as_json(scenario, funder_user, django_assert_max_num_queries):
    client = client_for(funder_user)
    url = f"/api/v1/reports/gisements/gisement/{scenario['gisement'].pk}/"
    client.get(url)
    with django_assert_max_num_queries(40):
        response = client.get(url)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["devices"] == EXPECTED["devices"]
    assert body["donations"] == EXPECTED["donations"]
    assert body["media_total"] == EXPECTED["media_total"]
    assert body["co2_total_kg"] == str(EXPECTED["co2_total_kg"])
    assert {row["kind"]: row["count"] for row in body["by_kind"]} == EXPECTED["by_kind"]
    text = response.content.decode()
    for name, email, phone in HOUSEHOLDS:
        assert name not in text and email not in text and phone not in text


def test_gisement_report_refusals(scenario, funder_user, other_funder_user, technician):
    pk = scenario["gisement"].pk
    assert (
        client_for(other_funder_user).get(f"/api/v1/reports/gisements/gisement/{pk}/").status_code
        == 404
    )
    client = client_for(funder_user)
    bad = client.get(f"/api/v1/reports/gisements/gisement/{pk}/?du=2026-05-01&au=2026-01-01")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_filter"
    assert client.get(f"/api/v1/reports/gisements/planet/{pk}/").status_code == 404


def test_pool_dashboard_and_roadmap(
    scenario, refurbisher, admin_of_refurbisher, django_assert_max_num_queries
):
    client = client_for(admin_of_refurbisher)
    client.get("/api/v1/reports/pool/")  # the summary computed once, then read from the cache
    with django_assert_max_num_queries(3):
        pool = client.get("/api/v1/reports/pool/")
    assert pool.status_code == 200, pool.json()
    assert sum(row["n"] for row in pool.json()["stock"]) == EXPECTED["devices"]
    # Aggregates only: the same count whatever the number of devices, loans or sessions.
    with django_assert_max_num_queries(10):
        roadmap = client.get("/api/v1/reports/roadmap/?debut=2026-01-01&fin=2026-12-31")
    assert roadmap.status_code == 200, roadmap.json()
    assert roadmap.json()["start"] == "2026-01-01"
    assert client.get("/api/v1/reports/roadmap/?debut=nope").status_code == 400
    assert client.get("/api/v1/reports/pool/?structure=999999").status_code == 400


def test_reports_refused_outside_scope(scenario, prescriber):
    client = client_for(prescriber)
    assert client.get("/api/v1/reports/pool/").json()["code"] == "nothing_in_scope"
    assert client.get("/api/v1/reports/roadmap/").status_code == 403
    assert client.get("/api/v1/reports/open-data/").status_code == 404


def test_open_data(scenario, admin_of_refurbisher, django_assert_max_num_queries):
    client = client_for(admin_of_refurbisher)
    client.get("/api/v1/reports/open-data/")
    with django_assert_max_num_queries(3):
        body = client.get("/api/v1/reports/open-data/").json()
    assert body["licence"].startswith("Licence Ouverte")
    assert body["donnees"]
    assert all("secret_statistique" in row for row in body["donnees"])


@pytest.fixture
def admin_of_refurbisher(refurbisher):
    from tests.acteurs.factories import MembershipFactory, UserFactory

    user = UserFactory(username="admin-rt")
    MembershipFactory(user=user, organisation=refurbisher, role="admin")
    return user
