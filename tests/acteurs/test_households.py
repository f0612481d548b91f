"""Beneficiary households: minimal data, consent with its wording, strict scoping."""

import hashlib

import pytest
from django.urls import reverse
from django.utils import timezone

from acteurs import services
from acteurs.consent import CONSENT_WORDINGS, CURRENT_CONSENT_VERSION, consent_text
from acteurs.models import Household
from tests.acteurs.factories import (
    CommuneFactory,
    HouseholdFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)

# On the tests' calendar (tests/conftest.py: clock), not the wall clock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

# A wording once shown to households is never edited: add a version instead.
PINNED_WORDINGS = {
    "2025-1": "aa0aa4b78ffa22c6",
}


@pytest.fixture
def ccas(prescriber):
    organisation = prescriber.memberships.get().organisation
    organisation.commune = CommuneFactory()
    organisation.save()
    return organisation


@pytest.fixture
def other_ccas(db):
    organisation = OrganisationFactory(name="CCAS voisin", is_prescriber=True)
    return organisation


def form_data(ccas, **overrides):
    data = {
        "organisation": ccas.pk,
        "name": "Mme Martin",
        "phone": "06 12 34 56 78",
        "email": "",
        "commune": "28085",
        "size": "3",
        "is_single_parent": "on",
        "informed": "on",
    }
    data.update(overrides)
    return data


def test_wordings_are_never_edited_in_place():
    for version, digest in PINNED_WORDINGS.items():
        text = str(CONSENT_WORDINGS[version])
        assert hashlib.sha256(text.encode()).hexdigest()[:16] == digest, (
            f"The consent wording {version} changed: households agreed to the old text. "
            "Add a new version instead."
        )
    assert CURRENT_CONSENT_VERSION in CONSENT_WORDINGS


def test_a_prescriber_records_a_household_with_its_consent(client, prescriber, ccas):
    client.force_login(prescriber)
    page = client.get(reverse("household_create")).content.decode()
    assert consent_text(CURRENT_CONSENT_VERSION, ccas.name)[:60] in page
    before = timezone.now()
    response = client.post(reverse("household_create"), form_data(ccas))
    household = Household.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("www:household", args=[household.pk])
    assert household.organisation == ccas
    assert household.size == 3
    assert household.category_labels == ["parent isolé"]
    assert household.consent_version == CURRENT_CONSENT_VERSION
    assert household.consent_at >= before
    assert household.consent_recorded_by == prescriber
    assert household.last_contact_at >= before
    page = client.get(response["Location"]).content.decode()
    assert "Mme Martin" in page
    assert consent_text(household.consent_version, ccas.name) in page.replace("&#x27;", "'")


def test_nothing_is_recorded_without_the_households_agreement(client, prescriber, ccas):
    client.force_login(prescriber)
    data = form_data(ccas)
    del data["informed"]
    response = client.post(reverse("household_create"), data)
    assert response.status_code == 200
    assert "Cochez cette case une fois le texte lu" in response.content.decode()
    assert not Household.objects.exists()
    with pytest.raises(services.HouseholdError, match="informé"):
        services.household_create(
            actor=prescriber,
            organisation=ccas,
            informed=False,
            name="X",
            commune=ccas.commune,
            size=1,
        )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("size", "0", "supérieure ou égale à 1"),
        ("size", "31", "inférieure ou égale à 30"),
        ("phone", "appelle-moi", "Numéro de téléphone invalide"),
        ("email", "pas-un-courriel", "adresse de courriel valide"),
        ("name", "", "Ce champ est obligatoire"),
    ],
)
def test_bad_input_gets_a_french_message(client, prescriber, ccas, field, value, message):
    client.force_login(prescriber)
    response = client.post(reverse("household_create"), form_data(ccas, **{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Household.objects.exists()


def test_no_date_of_birth_nor_free_text_about_the_person():
    names = {field.name for field in Household._meta.get_fields()}
    assert not {"birth_date", "date_of_birth", "notes", "health", "comment"} & names
    assert not any(
        field.get_internal_type() == "TextField" for field in Household._meta.concrete_fields
    )


def test_a_prescriber_cannot_create_for_another_organisation(client, prescriber, ccas, other_ccas):
    client.force_login(prescriber)
    response = client.post(reverse("household_create"), form_data(ccas, organisation=other_ccas.pk))
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert not Household.objects.exists()
    with pytest.raises(services.HouseholdError):
        services.household_create(
            actor=prescriber,
            organisation=other_ccas,
            informed=True,
            name="X",
            commune=ccas.commune,
            size=1,
        )


def test_households_of_another_organisation_are_invisible(client, prescriber, ccas, other_ccas):
    mine = HouseholdFactory(organisation=ccas, name="Foyer Durand")
    theirs = HouseholdFactory(organisation=other_ccas, name="Foyer Secret")
    client.force_login(prescriber)
    page = client.get(reverse("households")).content.decode()
    assert "Foyer Durand" in page
    assert "Foyer Secret" not in page
    for name in ("www:household", "household_edit", "ateliers:household"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
        assert client.get(reverse(name, args=[mine.pk])).status_code == 200
    # A forged POST on another organisation's household changes nothing.
    response = client.post(
        reverse("household_edit", args=[theirs.pk]), form_data(ccas, name="Piraté")
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Foyer Secret"


def test_not_even_the_coordination_sees_other_organisations_households(client, ccas):
    departement = OrganisationFactory(name="Département", is_coordinator=True)
    coordinator = UserFactory(username="coord", is_superuser=False)
    MembershipFactory(user=coordinator, organisation=departement, role="admin")
    household = HouseholdFactory(organisation=ccas)
    client.force_login(coordinator)
    assert client.get(reverse("www:household", args=[household.pk])).status_code == 404
    assert household.name not in client.get(reverse("households")).content.decode()


def test_technicians_and_funders_see_no_household(client, ccas, refurbisher, technician):
    HouseholdFactory(organisation=refurbisher, name="Foyer de l'atelier")
    client.force_login(technician)
    page = client.get(reverse("households")).content.decode()
    assert "Foyer de l'atelier" not in page
    assert "ne donne accès à aucun foyer" in page
    assert client.get(reverse("household_create")).status_code == 403


def test_editing_restarts_the_anonymisation_clock(client, prescriber, ccas):
    household = HouseholdFactory(organisation=ccas, name="Foyer Lenoir")
    Household.objects.filter(pk=household.pk).update(
        last_contact_at=timezone.now() - timezone.timedelta(days=400)
    )
    client.force_login(prescriber)
    response = client.post(
        reverse("household_edit", args=[household.pk]),
        {"name": "Foyer Lenoir", "commune": "28085", "size": "4", "is_senior": "on"},
    )
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.size == 4
    assert household.is_senior
    assert timezone.now() - household.last_contact_at < timezone.timedelta(minutes=1)
    # The consent is not re-asked nor changed by an edit.
    assert household.consent_version == "2025-1"


def test_the_list_is_searchable_and_paginated(client, prescriber, ccas, settings):
    settings.PAGE_SIZE = 5
    HouseholdFactory.create_batch(7, organisation=ccas)
    HouseholdFactory(organisation=ccas, name="Famille Zébulon")
    client.force_login(prescriber)
    response = client.get(reverse("households"))
    assert len(response.context["page"].object_list) == 5
    assert "Page 1 sur 2" in response.content.decode()
    response = client.get(reverse("households"), {"q": "zébu"})
    assert [h.name for h in response.context["page"].object_list] == ["Famille Zébulon"]


def test_a_prescriber_s_home_leads_to_the_households(client, prescriber):
    client.force_login(prescriber)
    response = client.get(reverse("www:home"))
    assert response.status_code == 200
    assert f'href="{reverse("households")}"' in response.content.decode()


def test_household_list_query_budget(client, prescriber, ccas, django_assert_max_num_queries):
    HouseholdFactory.create_batch(20, organisation=ccas)
    client.force_login(prescriber)
    # Session, user, roles, remembered sort, count, page, the access-log line, then the
    # request and loan columns of the loan scheme: whatever the number of rows.
    with django_assert_max_num_queries(9):
        client.get(reverse("households"))
