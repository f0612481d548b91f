"""A loan fee paid after the handover, then refunded, at the desk in Chromium: the loan page
says when it was paid and when and why it was given back. Every page passes axe-core."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from prets.models import Loan
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.prets.factories import LoanFactory

from .test_forms_and_report_phone import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.submits("prets:loan_date", "prets:loan_action")
def test_a_fee_paid_later_then_refunded(live_server, desk_page, small_phone_page, axe_check):
    association = OrganisationFactory(name="Recyclerie du Bocage", is_refurbisher=True)
    staff = UserFactory(username="ines")
    MembershipFactory(user=staff, organisation=association, role="staff")
    today = dt.date.today()
    loan = LoanFactory(
        request__refurbisher=association,
        started_on=today - dt.timedelta(days=3),
        fee_amount=Decimal("12.50"),
        fee_paid_on=None,
    )
    page = desk_page
    log_in(page, live_server, "ines")
    page.goto(f"{live_server.url}/prets/{loan.pk}/")
    expect(page.get_by_text("12,50 € – à régler")).to_be_visible()
    axe_check(page, "loan page, fee to pay")
    page.get_by_label("Frais de prêt réglés le").fill((today - dt.timedelta(days=1)).isoformat())
    page.get_by_label("Frais de prêt réglés le").locator("xpath=..").get_by_role(
        "button", name="Enregistrer"
    ).click()
    expect(page.get_by_text("Frais de prêt enregistrés comme réglés.")).to_be_visible()
    paid = (today - dt.timedelta(days=1)).strftime("%d/%m/%Y")
    expect(page.get_by_text(f"réglés le {paid}")).to_be_visible()

    page.get_by_role("link", name="Rembourser les frais").click()
    axe_check(page, "fee refund form")
    page.get_by_role("button", name="Enregistrer le remboursement").click()
    expect(page.get_by_role("alert").first).to_contain_text("Motif")
    page.get_by_label("Motif").select_option(label="appareil défectueux")
    page.get_by_role("button", name="Enregistrer le remboursement").click()
    expect(page.get_by_text("Remboursement des frais de prêt enregistré.")).to_be_visible()
    refunded = today.strftime("%d/%m/%Y")
    expect(page.get_by_text(f"remboursés le {refunded} (appareil défectueux)")).to_be_visible()
    expect(page.get_by_role("link", name="Rembourser les frais")).to_have_count(0)
    axe_check(page, "loan page, fee refunded")
    loan = Loan.objects.get(pk=loan.pk)
    assert (loan.fee_paid_on, loan.fee_refunded_on, loan.fee_refund_reason) == (
        today - dt.timedelta(days=1),
        today,
        "device_faulty",
    )

    # The refund form on the narrowest phone.
    phone = small_phone_page
    other = LoanFactory(request__refurbisher=association, fee_amount=Decimal("5"))
    log_in(phone, live_server, "ines")
    phone.goto(f"{live_server.url}/prets/{other.pk}/rembourser-frais/")
    axe_check(phone, "fee refund form on a phone")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
