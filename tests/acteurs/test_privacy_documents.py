"""The RGPD paperwork generated from the code (acteurs.privacy): the record of processing for
the organisations' admins (page and PDF, from the registry and the settings in force), and the
information notice of each organisation (page and PDF), offered where a household's consent is
recorded, with the contacts its admins set."""

import io

import pypdfium2
import pytest
from django.urls import reverse

from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    document = pypdfium2.PdfDocument(io.BytesIO(content))
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def member(organisation, role, username):
    user = UserFactory(username=username)
    MembershipFactory(user=user, organisation=organisation, role=role)
    return user


@pytest.fixture
def ccas(db):
    return OrganisationFactory(
        name="CCAS de Dreux",
        short_name="CCASD",
        is_prescriber=True,
        street_address="2 place Métézeau",
        postcode="28100",
        privacy_email="donnees@ccas-dreux.example",
        dpo_contact="DPO mutualisé, dpo@agglo.example",
    )


def test_the_record_of_processing_comes_from_the_registry_and_the_settings(client, ccas, settings):
    settings.HOUSEHOLD_RETENTION_DAYS = 500
    settings.ACCESS_LOG_RETENTION_DAYS = 200
    client.force_login(member(ccas, "admin", "admin-ccas"))
    settings.SECOND_FACTOR_REQUIRED = True  # after the login: this test reads, not enrols
    page = client.get(reverse("record_of_processing"))
    assert page.status_code == 200
    text = page.content.decode()
    for expected in (
        "CCAS de Dreux",
        "2 place Métézeau",
        "dpo@agglo.example",
        # every source of the registry, with its columns and what anonymisation does
        "Foyers",
        "Ateliers : inscriptions, présences et évaluations d&#x27;autonomie",
        "Équipement : éligibilité, demandes, prêts et achats",
        "prets.ReturnInspection",
        "buyer_name",
        "pièce comptable",
        # retention and security, from the settings in force
        "500 jours",
        "gardé 200 jours",
        "obligatoire pour les administrateurs",
    ):
        assert expected in text, expected
    settings.SECOND_FACTOR_REQUIRED = False
    text = client.get(reverse("record_of_processing")).content.decode()
    assert "NON exigée" in text
    pdf = client.get(reverse("record_of_processing_pdf"))
    assert pdf["Content-Type"] == "application/pdf"
    words = pdf_text(pdf.content)
    assert "Registre des activités de traitement" in words and "CCAS de Dreux" in words
    assert "ReturnInspection" in words


def test_the_record_is_for_the_admins_of_their_organisation(client, ccas):
    other = OrganisationFactory(name="Mairie d'Anet", is_prescriber=True)
    admin = member(ccas, "admin", "admin-deux")
    MembershipFactory(user=admin, organisation=other, role="admin")
    client.force_login(admin)
    page = client.get(reverse("record_of_processing"), {"organisation": other.pk})
    assert page.context["record"].controller == other
    outside = OrganisationFactory(name="Ailleurs")
    page = client.get(reverse("record_of_processing"), {"organisation": outside.pk})
    assert page.context["record"].controller != outside  # falls back on one of theirs
    coordination = OrganisationFactory(name="Département d'Eure-et-Loir", is_coordinator=True)
    client.force_login(member(coordination, "admin", "coordination"))
    assert client.get(reverse("record_of_processing")).context["record"].controller == coordination
    for role in ("prescriber", "staff", "facilitator"):
        client.force_login(member(ccas, role, f"non-admin-{role}"))
        assert client.get(reverse("record_of_processing")).status_code == 403
        assert client.get(reverse("record_of_processing_pdf")).status_code == 403


def test_the_information_notice_of_an_organisation(client, ccas):
    prescriber = member(ccas, "prescriber", "presc-notice")
    client.force_login(prescriber)
    page = client.get(reverse("information_notice", args=[ccas.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    for expected in (
        "CCAS de Dreux",
        "donnees@ccas-dreux.example",
        "DPO mutualisé",
        "droit d&#x27;accès",
        "réclamation à la CNIL",
        "2025-1",  # the version of the wording read to the household
        "730 jours",
    ):
        assert expected in text, expected
    pdf = client.get(reverse("information_notice_pdf", args=[ccas.pk]))
    words = pdf_text(pdf.content)
    assert "Vos données personnelles" in words and "donnees@ccas-dreux.example" in words
    # Another organisation's notice is not this prescriber's to hand out.
    other = OrganisationFactory(name="Autre CCAS", is_prescriber=True)
    assert client.get(reverse("information_notice", args=[other.pk])).status_code == 404
    assert client.get(reverse("information_notice_pdf", args=[other.pk])).status_code == 404


def test_the_notice_is_offered_where_consent_is_recorded(client, ccas):
    client.force_login(member(ccas, "prescriber", "presc-consent"))
    form = client.get(reverse("household_create")).content.decode()
    assert reverse("information_notice", args=[ccas.pk]) in form
    assert "Notice d'information complète de CCAS de Dreux" in form


def test_the_admins_set_the_contacts_the_notice_prints(client, ccas):
    admin = member(ccas, "admin", "admin-contact")
    client.force_login(admin)
    url = reverse("privacy_contact")
    response = client.post(
        url,
        {"street_address": "1 rue Neuve", "postcode": "28100", "privacy_email": "pas-un-courriel"},
    )
    assert response.status_code == 200
    assert "Saisissez une adresse de courriel valide" in response.content.decode()
    response = client.post(
        url,
        {
            "street_address": "1 rue Neuve",
            "postcode": "28100",
            "privacy_email": "rgpd@ccas-dreux.example",
            "dpo_contact": "",
        },
        follow=True,
    )
    assert "Coordonnées enregistrées" in response.content.decode()
    ccas.refresh_from_db()
    assert (ccas.postal_address, ccas.privacy_email, ccas.dpo_contact) == (
        "1 rue Neuve, 28100",
        "rgpd@ccas-dreux.example",
        "",
    )
    notice = client.get(reverse("information_notice", args=[ccas.pk])).content.decode()
    assert "rgpd@ccas-dreux.example" in notice and "DPO mutualisé" not in notice
    client.force_login(member(ccas, "prescriber", "presc-contact"))
    assert client.get(url).status_code == 403
    assert client.post(url, {"privacy_email": "x@y.example"}).status_code == 403
