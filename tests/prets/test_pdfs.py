"""The loan agreement and the sale receipt, read back from the PDF with pypdfium2."""

import datetime as dt
import io
import re
from decimal import Decimal

import pypdfium2
import pytest
from django.urls import reverse
from django.utils import timezone

from prets import services
from prets.models import HandoverPolicy
from prets.services import sales

# On the tests' calendar (tests/conftest.py: clock), not the wall clock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    pdf = pypdfium2.PdfDocument(io.BytesIO(content))
    text = "\n".join(page.get_textpage().get_text_range() for page in pdf)
    # Line breaks inside a paragraph: compare on single spaces.
    return re.sub(r"\s+", " ", text)


def test_loan_agreement_names_both_parties_the_device_conditions_and_dates(
    client, staff, make_request, ready_device, refurbisher, ccas
):
    HandoverPolicy.objects.create(
        organisation=refurbisher,
        loan_conditions="Prêt gratuit. Rendre l'appareil avec son chargeur.",
        training_rule="within_days",
        training_days=30,
    )
    request = make_request(state="approved")
    device = ready_device(brand="Lenovo", model="ThinkPad T470", serial="PF0ABC12", grade="A")
    services.device_allocate(request.pk, device.pk, staff)
    started = timezone.localdate()
    due = started + dt.timedelta(days=180)
    loan = services.loan_start(request.pk, staff, due_on=due, deposit_amount=Decimal("25"))
    client.force_login(staff)
    response = client.get(reverse("prets:agreement", args=[loan.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in (
        "Convention de prêt",
        f"Prêt n° {loan.pk}",
        refurbisher.name,  # the lender
        "Mme Martin",  # the borrower
        ccas.name,  # who follows the household
        device.public_code,
        "PF0ABC12",
        "Lenovo ThinkPad T470",
        started.strftime("%d/%m/%Y"),
        due.strftime("%d/%m/%Y"),
        "25,00 €",
        "Rendre l'appareil avec son chargeur.",
        "suivre l'atelier d'initiation",
        "Pour le prêteur",
        "L'emprunteur",
        "lu et approuvé",
    ):
        assert expected in text, expected


def test_sale_receipt_has_the_number_price_guarantees_and_legal_mentions(
    client, staff, make_request, ready_device, refurbisher, monkeypatch
):
    monkeypatch.setattr(sales, "from_public_donor", lambda device: True)
    request = make_request(state="approved", mode="purchase")
    device = ready_device(kind="laptop", brand="HP", model="EliteBook 840", serial="5CG7")
    services.device_allocate(request.pk, device.pk, staff)
    sold_on = dt.date(2026, 3, 10)
    if sold_on > timezone.localdate():
        sold_on = timezone.localdate()
    sale = services.sale_create(
        request.pk, staff, price=Decimal("120"), payment_method="card", sold_on=sold_on
    )
    client.force_login(staff)
    text = pdf_text(client.get(reverse("prets:receipt", args=[sale.pk])).content)
    for expected in (
        "Reçu de vente solidaire",
        sale.receipt_number,
        refurbisher.name,
        "Mme Martin",
        "HP EliteBook 840",
        device.public_code,
        "5CG7",
        "120,00 €",
        "carte bancaire",
        "180,00 € TTC",
        "décret n° 2022-1434",
        "R122-4",
        "24 mois",
        sale.guarantee_until.strftime("%d/%m/%Y"),
        "12 mois",
        sale.presumption_until.strftime("%d/%m/%Y"),
        "L217-7",
        "1641",
    ):
        assert expected in text, expected
    assert sale.guarantee_until.year == sold_on.year + 2


def test_a_gift_receipt(client, staff, make_request, ready_device):
    request = make_request(state="approved", mode="purchase")
    services.device_allocate(request.pk, ready_device().pk, staff)
    sale = services.sale_create(request.pk, staff, price=Decimal("0"), payment_method="cash")
    client.force_login(staff)
    text = pdf_text(client.get(reverse("prets:receipt", args=[sale.pk])).content)
    assert "Attestation de don" in text and "remis gratuitement" in text
    assert "Moyen de paiement" not in text and "Prix plafond" not in text
