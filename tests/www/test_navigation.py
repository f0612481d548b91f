"""The site menu: each role sees the entries of the pages it may open, every entry it sees
opens, and the entry of the page being shown is marked."""

import pytest
from django.test import RequestFactory
from django.urls import resolve, reverse

from acteurs.permissions import roles_by_organisation
from tests.acteurs.factories import (
    HouseholdFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.dons.factories import DonationFactory, GisementFactory
from www.navigation import menu_for

pytestmark = pytest.mark.django_db

EVERYONE = ["Appareils", "Scanner", "Ateliers", "Foyers"]


def _menu(body: str) -> str:
    return body[body.index('aria-label="Navigation principale"') : body.index("</nav>")]


def _member(organisation, role):
    user = UserFactory()
    MembershipFactory(user=user, organisation=organisation, role=role)
    return user


@pytest.fixture
def users(refurbisher, staff, technician, prescriber):
    ccas = OrganisationFactory(name="CCAS du menu", is_prescriber=True)
    funder = OrganisationFactory(name="Fondation", is_funder=True, is_donor=True)
    coordination = OrganisationFactory(name="Département", is_coordinator=True)
    return {
        "staff": staff,
        "technician": technician,
        "prescriber": prescriber,
        "facilitator": _member(ccas, "facilitator"),
        "funder": _member(funder, "funder"),
        "coordinator": _member(coordination, "admin"),
    }


EXPECTED = {
    "staff": [
        "Appareils",
        "Scanner",
        "Dons",
        "Ateliers",
        "Foyers",
        # No « Demandes »: a desk's own outgoing requests list was always empty (issue 12).
        "Demandes reçues",
        "Prêts",
        "Rapports",
        "Tableaux de bord",
    ],
    "technician": ["Appareils", "Scanner", "Dons", "Ateliers", "Foyers"],
    "prescriber": [*EVERYONE, "Demandes", "Prêts"],
    "facilitator": EVERYONE,
    "funder": [*EVERYONE, "Rapports", "Tableaux de bord"],
    "coordinator": [
        "Appareils",
        "Scanner",
        "Dons",
        "Ateliers",
        "Foyers",
        # No « Demandes »: a desk's own outgoing requests list was always empty (issue 12).
        "Demandes reçues",
        "Prêts",
        "Rapports",
        "Tableaux de bord",
        "Traitements",
    ],
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_sees_the_entries_it_may_open_and_each_opens(client, users, role):
    client.force_login(users[role])
    response = client.get(reverse("ateliers:sessions"))
    entries = response.context["entries"]
    # « Mon compte » (the password and the second factor) closes every menu.
    assert [entry.label for entry in entries] == [*EXPECTED[role], "Mon compte"]
    for entry in entries:
        assert entry.url in _menu(response.content.decode())
        assert client.get(entry.url).status_code == 200, entry.label


def test_staff_users_also_get_the_administration(client, staff):
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    body = client.get(reverse("ateliers:sessions")).content.decode()
    assert f'href="{reverse("admin:index")}"' in _menu(body)


@pytest.mark.parametrize(
    ("page", "current"),
    [
        ("gisement_list", "Dons"),
        ("gisement", "Dons"),
        ("donation", "Dons"),
        ("household", "Foyers"),
        ("households", "Foyers"),
        ("devices", "Appareils"),
        ("loan_report", "Tableaux de bord"),
        ("reports", "Rapports"),
    ],
)
def test_the_entry_of_the_page_shown_is_marked(client, staff, refurbisher, page, current):
    gisement = GisementFactory(refurbisher=refurbisher)
    donation = DonationFactory(gisement=gisement)
    household = HouseholdFactory(organisation=refurbisher)
    url = {
        "gisement_list": reverse("dons:gisements"),
        "gisement": reverse("www:gisement", args=[gisement.pk]),
        "donation": reverse("www:donation", args=[donation.pk]),
        "household": reverse("www:household", args=[household.pk]),
        "households": reverse("households"),
        "devices": reverse("parc:list"),
        "loan_report": reverse("rapports:loan_report"),
        "reports": reverse("rapports:index"),
    }[page]
    client.force_login(staff)
    response = client.get(url)
    assert response.status_code == 200
    assert [entry.label for entry in response.context["entries"] if entry.current] == [current]
    assert 'aria-current="page"' in _menu(response.content.decode())


def test_an_anonymous_visitor_sees_no_menu(client):
    body = client.get(reverse("login")).content.decode()
    assert "Navigation principale" not in body


@pytest.mark.parametrize(
    ("role", "queries"),
    # A funder's report scope reads what its organisation funds, a coordination's the
    # départements it covers: one query, then cached.
    [("staff", 0), ("technician", 0), ("prescriber", 0), ("coordinator", 1), ("funder", 1)],
)
def test_the_menu_reads_the_roles_already_read_for_the_request(
    users, role, queries, django_assert_num_queries
):
    request = RequestFactory().get(reverse("ateliers:sessions"))
    request.user = users[role]
    request.resolver_match = resolve(request.path)
    roles_by_organisation(request.user)  # what any page of the request has already done
    with django_assert_num_queries(queries):
        menu_for(request)
