"""Every document handed to a household tells it how to reach the association and which
device it is about: the loan agreement, the sale receipt and the reminders carry the
association's name, address, phone and e-mail and the device's code; a missing detail is
printed as a prompt to the administrators, and the loan page says so to the team."""

import datetime as dt
import html
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from prets import services
from tests.acteurs.factories import CommuneFactory
from tests.prets.factories import LoanFactory

from .test_pdfs import pdf_text

pytestmark = pytest.mark.django_db

CONTACTS = {
    "street_address": "12 rue des Artisans",
    "postcode": "28110",
    "phone": "02 61 91 28 10",
    "email": "contact@recyclerie.example.org",
}


@pytest.fixture
def reachable(refurbisher):
    """The association with every contact detail filled in, in Lucé."""
    refurbisher.commune = CommuneFactory(insee_code="28218", name="Lucé", postcodes="28110")
    for name, value in CONTACTS.items():
        setattr(refurbisher, name, value)
    refurbisher.full_clean()
    refurbisher.save()
    return refurbisher


def start_loan(staff, make_request, ready_device):
    request = make_request(state="approved")
    device = ready_device()
    services.device_allocate(request.pk, device.pk, staff)
    loan = services.loan_start(
        request.pk, staff, due_on=dt.date.today() + dt.timedelta(days=90), deposit_amount=0
    )
    return loan, device


def test_the_loan_agreement_gives_the_associations_contacts_and_the_device_code(
    client, staff, make_request, ready_device, reachable
):
    loan, device = start_loan(staff, make_request, ready_device)
    client.force_login(staff)
    text = pdf_text(client.get(reverse("prets:agreement", args=[loan.pk])).content)
    for expected in (
        "Contacter l'association",
        reachable.name,
        "12 rue des Artisans, 28110 Lucé",
        "Tél. 02 61 91 28 10",
        "Courriel : contact@recyclerie.example.org",
        f"Rappelez le code de l'appareil, {device.public_code}",
        f"le numéro du prêt, n° {loan.pk}",
    ):
        assert expected in text, expected
    assert "à compléter" not in text
    page = html.unescape(client.get(reverse("prets:loan", args=[loan.pk])).content.decode())
    assert "Coordonnées de l'association à compléter" not in page


def test_missing_contacts_are_printed_as_a_prompt_and_the_team_is_told(
    client, staff, make_request, ready_device, refurbisher
):
    assert not (refurbisher.street_address or refurbisher.phone or refurbisher.email)
    loan, device = start_loan(staff, make_request, ready_device)
    client.force_login(staff)
    text = pdf_text(client.get(reverse("prets:agreement", args=[loan.pk])).content)
    assert "[Adresse à compléter par un administrateur : fiche de l'organisation]" in text
    assert "[téléphone à compléter par un administrateur]" in text
    assert "[courriel à compléter par un administrateur]" in text
    assert device.public_code in text
    page = html.unescape(client.get(reverse("prets:loan", args=[loan.pk])).content.decode())
    assert "Coordonnées de l'association à compléter (adresse, téléphone, courriel)" in page


def test_the_receipt_gives_them_too(client, staff, make_request, ready_device, reachable):
    request = make_request(state="approved", mode="purchase")
    device = ready_device()
    services.device_allocate(request.pk, device.pk, staff)
    sale = services.sale_create(request.pk, staff, price=Decimal("30"), payment_method="cash")
    client.force_login(staff)
    text = pdf_text(client.get(reverse("prets:receipt", args=[sale.pk])).content)
    for expected in (
        "12 rue des Artisans, 28110 Lucé",
        "Tél. 02 61 91 28 10",
        "contact@recyclerie.example.org",
        f"Rappelez le code de l'appareil, {device.public_code}",
        f"le numéro de ce reçu, n° {sale.receipt_number}",
    ):
        assert expected in text, expected


def test_the_households_reminder_says_whom_to_call_about_which_device(reachable):
    loan = LoanFactory(
        request__refurbisher=reachable,
        started_on=dt.date(2026, 1, 5),
        due_on=dt.date(2026, 6, 20),
        remind_from=dt.date(2026, 6, 6),
    )
    type(loan.household).objects.filter(pk=loan.household_id).update(email="foyer@example.org")
    services.send_due_reminders(today=dt.date(2026, 6, 15))
    (to_household,) = [m for m in mail.outbox if m.to == ["foyer@example.org"]]
    for expected in (
        "Pour nous joindre :",
        reachable.name,
        "12 rue des Artisans, 28110 Lucé",
        "Tél. 02 61 91 28 10",
        "Courriel : contact@recyclerie.example.org",
        f"Code de l'appareil à rappeler : {loan.device.public_code}",
    ):
        assert expected in to_household.body, expected
    # The prescriber's copy is not the household's letter.
    assert all("Pour nous joindre" not in m.body for m in mail.outbox if m is not to_household)
