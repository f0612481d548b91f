"""The roadmap figures on a hand-built scenario, and query budgets: the same number of
queries for 3 rows and for 30."""

import datetime as dt

import pytest
from django.urls import reverse

from dons import selectors, services
from tests.acteurs.factories import OrganisationFactory
from tests.dons.factories import (
    ConventionFactory,
    DonationFactory,
    DonationLineFactory,
    GisementFactory,
)
from tests.parc.factories import DeviceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario(refurbisher, other_refurbisher):
    bank = OrganisationFactory(name="Banque", is_donor=True)
    town = OrganisationFactory(name="Ville", is_donor=True)
    g1 = GisementFactory(refurbisher=refurbisher, donor=bank, frequency="recurrent")
    g2 = GisementFactory(refurbisher=refurbisher, donor=town, donor_kind="collectivite")
    g3 = GisementFactory(refurbisher=refurbisher, donor=bank, frequency="recurrent")
    # g1: signed in Q1 2025, in force; an older one signed in Q1 2025 too, since expired.
    ConventionFactory(gisement=g1, signed_on=dt.date(2025, 2, 10))
    ConventionFactory(
        gisement=g1,
        status="expired",
        signed_on=dt.date(2025, 3, 31),
        expires_on=dt.date(2025, 6, 30),
    )
    # g2: signed in Q2 2025 but past its end date; terminated one signed in Q4 2024.
    ConventionFactory(gisement=g2, signed_on=dt.date(2025, 5, 5), expires_on=dt.date(2025, 12, 31))
    ConventionFactory(gisement=g2, status="terminated", signed_on=dt.date(2024, 11, 20))
    # g3: a draft, not counted.
    ConventionFactory(gisement=g3, status="draft", signed_on=None)
    # another organisation's gisement: the coordination counts it, the staff does not.
    elsewhere = GisementFactory(refurbisher=other_refurbisher, donor_kind="etat")
    ConventionFactory(gisement=elsewhere, signed_on=dt.date(2025, 1, 2))
    return dt.date(2026, 1, 15)


def test_roadmap_figures_for_the_staff(staff, scenario):
    figures = selectors.roadmap_figures(staff, today=scenario)
    assert figures.gisements == 3
    assert figures.recurring_gisements == 2
    assert figures.public_gisements == 1
    assert figures.partners == 2  # the bank (two gisements) and the town
    assert figures.partners_with_convention == 1  # only the bank's is still in force
    assert [(q["label"], q["count"]) for q in figures.conventions_by_quarter] == [
        ("T4 2024", 1),
        ("T1 2025", 2),
        ("T2 2025", 1),
    ]
    assert figures.conventions_signed == 4


def test_roadmap_figures_for_the_coordination(coordinator, scenario):
    figures = selectors.roadmap_figures(coordinator, today=scenario)
    assert figures.gisements == 4
    assert figures.public_gisements == 2
    assert figures.partners == 3
    assert figures.partners_with_convention == 2
    assert ("T1 2025", 3) in [(q["label"], q["count"]) for q in figures.conventions_by_quarter]


def test_roadmap_block_is_on_the_list_page(client, staff, scenario):
    client.force_login(staff)
    body = client.get(reverse("dons:gisements")).content.decode()
    assert "Gisements référencés" in body
    assert "Partenaires associés" in body
    assert "T1 2025" in body


# --- query budgets ------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [3, 30])
def test_gisement_list_query_budget(
    rows, client, staff, refurbisher, django_assert_max_num_queries
):
    for gisement in GisementFactory.create_batch(rows, refurbisher=refurbisher):
        ConventionFactory(gisement=gisement)
        DonationFactory.create_batch(2, gisement=gisement)
    client.force_login(staff)
    with django_assert_max_num_queries(11):
        response = client.get(reverse("dons:gisements"), {"donor_kind": "entreprise"})
    assert len(response.context["page"].object_list) == min(rows, 25)


@pytest.mark.parametrize("rows", [3, 30])
def test_gisement_page_query_budget(rows, client, staff, gisement, django_assert_max_num_queries):
    ConventionFactory.create_batch(3, gisement=gisement)
    for donation in DonationFactory.create_batch(rows, gisement=gisement):
        DonationLineFactory(donation=donation, kind="laptop")
        DonationLineFactory(donation=donation, kind="screen")
        DeviceFactory(owner=gisement.refurbisher, donation=donation)
    client.force_login(staff)
    with django_assert_max_num_queries(9):
        response = client.get(reverse("www:gisement", args=[gisement.pk]))
    assert len(response.context["page"].object_list) == min(rows, 25)


@pytest.mark.parametrize("rows", [3, 30])
def test_donation_page_query_budget(
    rows, client, staff, gisement, refurbisher, django_assert_max_num_queries
):
    donation = services.donation_create(gisement.pk, actor=staff, lines={"laptop": rows})
    services.donation_receive(donation.pk, staff, received_on=dt.date(2025, 1, 1))
    DeviceFactory.create_batch(rows, owner=refurbisher, donation=donation)
    for _ in range(rows):
        services.donation_update(donation.pk, actor=staff, notes="x")
    client.force_login(staff)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("www:donation", args=[donation.pk]))
    assert len(response.context["page"].object_list) == min(rows, 25)
    assert len(response.context["events"]) == rows + 2
