"""Amounts typed the French way in a browser set to English: a ``type=number`` input there
reads « 45,50 » as 4550 (or drops it). Every amount is a text input with a decimal keypad,
read by the server with either separator (core.forms.FrenchDecimalField)."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from prets.models import Voucher
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.prets.factories import LoanFactory

from .conftest import DESK, _page_in
from .test_forms_and_report_phone import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def english_desk_page(browser):
    """A desk-sized page whose browser speaks English (decimal point, not comma)."""
    yield from _page_in(browser, {**DESK, "locale": "en-US"})


@pytest.mark.submits("prets:loan_voucher_add")
def test_a_voucher_of_45_50_typed_with_a_comma_is_stored_as_45_50(
    live_server, english_desk_page, axe_check
):
    page = english_desk_page
    association = OrganisationFactory(name="Recyclerie du Bocage", is_refurbisher=True)
    staff = UserFactory(username="ines")
    MembershipFactory(user=staff, organisation=association, role="staff")
    loan = LoanFactory(
        request__refurbisher=association, started_on=dt.date.today(), fee_amount=Decimal("60")
    )
    log_in(page, live_server, "ines")
    page.goto(f"{live_server.url}/prets/{loan.pk}/cheque/")
    value = page.get_by_label("Valeur (€)")
    assert value.get_attribute("type") == "text"
    assert value.get_attribute("inputmode") == "decimal"
    axe_check(page, "voucher form, English browser")

    page.get_by_label("Dispositif").select_option(label="chèque APTIC")
    page.get_by_label("Émetteur").fill("APTIC")
    page.get_by_label("Numéro du chèque").fill("AP 4550")
    value.fill("quarante-cinq")
    page.get_by_role("button", name="Enregistrer le chèque").click()
    expect(page.get_by_role("alert").first).to_contain_text("par exemple « 45,50 »")
    assert not Voucher.objects.exists()
    axe_check(page, "voucher form with its error")

    page.get_by_label("Valeur (€)").fill("45,50")
    page.get_by_role("button", name="Enregistrer le chèque").click()
    expect(page.get_by_text("Chèque enregistré.")).to_be_visible()
    assert Voucher.objects.get().value == Decimal("45.50")
