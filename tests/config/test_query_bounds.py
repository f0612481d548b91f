"""Dates and numbers read from an address are kept in a sane range: the pages the probe broke
(issue 17) answer with their defaults and a French message, never a server error."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from core.bounds import BoundedDateField, parse_id
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_admin(refurbisher):
    user = UserFactory(username="admin-asso")
    MembershipFactory(user=user, organisation=refurbisher, role="admin")
    return user


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "1999-12-31", "2101-01-01"])
def test_week_view_out_of_range(client, team_admin, value):
    client.force_login(team_admin)
    response = client.get(reverse("ateliers:week") + f"?semaine={value}")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Choisissez une date entre le 01/01/2000 et le 31/12/2100" in text
    assert response.context["monday"] <= timezone.localdate() <= response.context["sunday"]


def test_week_view_reads_a_good_date(client, team_admin):
    client.force_login(team_admin)
    response = client.get(reverse("ateliers:week") + "?semaine=2026-03-04")
    assert response.context["monday"] == dt.date(2026, 3, 2)


@pytest.mark.parametrize("name", ["rapports:loan_report", "rapports:roadmap"])
@pytest.mark.parametrize(
    "query", ["debut=9999-12-31&fin=9999-12-31", "debut=0001-01-01&fin=0001-01-02"]
)
def test_dashboards_out_of_range(client, team_admin, name, query):
    client.force_login(team_admin)
    response = client.get(reverse(name) + "?" + query)
    assert response.status_code == 200
    assert "Choisissez une date entre le 01/01/2000 et le 31/12/2100" in response.content.decode()
    today = timezone.localdate()
    assert response.context["end"] == today  # the default period: the last twelve months


def test_the_roadmap_for_a_funder(client, db):
    funder_org = OrganisationFactory(name="Fondation", is_funder=True)
    funder = UserFactory(username="financeur")
    MembershipFactory(user=funder, organisation=funder_org, role="funder")
    client.force_login(funder)
    response = client.get(reverse("rapports:roadmap") + "?debut=9999-12-31&fin=9999-12-31")
    assert response.status_code in (200, 403)  # 403: nothing funded yet, said on the page


@pytest.mark.parametrize("value", ["99999999999999999999999", "9223372036854775808", "0"])
def test_label_page_ids_beyond_the_database(client, staff, value):
    client.force_login(staff)
    for query in (f"appareil={value}", f"don={value}"):
        response = client.get(reverse("parc:labels") + "?" + query)
        assert response.status_code in (200, 400), query
        assert "invalide" in response.content.decode()


def test_bounded_date_field_and_parse_id():
    field = BoundedDateField()
    assert field.clean("2026-03-02") == dt.date(2026, 3, 2)
    with pytest.raises(Exception, match="Choisissez une date"):
        field.clean("9999-12-31")
    assert parse_id("42") == 42
    for bad in ("", "0", "-3", "4.2", "٣", "9223372036854775808", None):
        assert parse_id(bad) is None, bad
    assert parse_id("9223372036854775807") == 2**63 - 1
