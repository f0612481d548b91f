"""Place names folded for searching (accents, capitals, spaces, dashes and apostrophes
ignored), kept in step by the territory loader and on save; and the contact details of an
organisation, edited in the admin, validated, and summed up for household documents."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from acteurs.models import Commune, Epci, Organisation, to_name_key
from acteurs.services import territories_load
from demo.world import ORGANISATIONS
from tests.acteurs.factories import CommuneFactory, OrganisationFactory, UserFactory

from .test_territories import territories_dir  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "typed, name",
    [
        ("chateaudun", "Châteaudun"),
        ("SAINT REMY SUR AVRE", "Saint-Rémy-sur-Avre"),
        ("l'aigle", "L'Aigle"),
        ("laigle", "L’Aigle"),
        ("oeuilly", "Œuilly"),
        ("ile d yeu", "Île-d'Yeu"),
    ],
)
def test_a_name_typed_without_accents_finds_the_place(typed, name):
    assert to_name_key(typed) == to_name_key(name)


def test_the_loader_and_save_keep_the_key(territories_dir):  # noqa: F811
    territories_load(territories_dir)
    assert Commune.objects.get(pk="28218").name_key == "LUCE"
    assert Epci.objects.get(pk="200033181").name_key == "CACHARTRESMETROPOLE"
    commune = Commune.objects.get(pk="28218")
    commune.name = "Lucé-Village"
    commune.save()
    assert Commune.objects.get(pk="28218").name_key == "LUCEVILLAGE"


def test_contacts_for_household_documents():
    organisation = OrganisationFactory(name="Recyclerie", short_name="R")
    assert organisation.missing_contacts == ["adresse", "téléphone", "courriel"]
    organisation.street_address = "12 rue des Artisans"
    organisation.commune = CommuneFactory(insee_code="28218", name="Lucé")
    organisation.postcode = "28110"
    organisation.phone = "02 61 91 28 10"
    organisation.email = "contact@recyclerie.example.org"
    assert organisation.missing_contacts == []
    assert organisation.postal_address == "12 rue des Artisans, 28110 Lucé"


@pytest.mark.parametrize(
    "field, value", [("postcode", "2811"), ("phone", "appelez-nous"), ("email", "contact@")]
)
def test_a_wrong_contact_detail_is_refused(field, value):
    organisation = OrganisationFactory(name="Recyclerie", short_name="R")
    setattr(organisation, field, value)
    with pytest.raises(ValidationError) as refused:
        organisation.full_clean()
    assert field in refused.value.message_dict


def test_the_admin_edits_the_contacts(client):
    admin = UserFactory(username="claire", is_staff=True, is_superuser=True)
    organisation = OrganisationFactory(name="Recyclerie", short_name="R", is_refurbisher=True)
    client.force_login(admin)
    url = reverse("admin:acteurs_organisation_change", args=[organisation.pk])
    page = client.get(url).content.decode()
    assert "Coordonnées" in page and "Imprimées sur la convention de prêt" in page
    response = client.post(
        url,
        {
            "name": "Recyclerie",
            "short_name": "R",
            "siret": "",
            "street_address": "12 rue des Artisans",
            "postcode": "28110",
            "phone": "02 61 91 28 10",
            "email": "contact@recyclerie.example.org",
            "is_refurbisher": "on",
        },
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert (organisation.postcode, organisation.phone) == ("28110", "02 61 91 28 10")


def test_the_demo_organisations_have_plausible_contacts():
    for spec in ORGANISATIONS:
        organisation = Organisation(
            name=spec.name,
            short_name=spec.short_name,
            street_address=spec.street_address,
            postcode=spec.postcode,
            phone=spec.phone,
            email=spec.email,
        )
        organisation.full_clean()
        assert organisation.street_address and organisation.phone and organisation.email
        assert spec.postcode.startswith("28")
