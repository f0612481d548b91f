"""The whole loan path in a real browser: a social worker records eligibility and files a
request; the association's staff approve it, allocate a device and start the loan; the device
comes back. Every page visited must pass axe-core (no serious or critical violation)."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from parc.models import Device, DeviceEvent
from prets.models import DeviceRequest, Loan
from tests.acteurs.factories import (
    HouseholdFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.parc.factories import DeviceFactory
from tests.prets.factories import _criterion

from .conftest import PHONE, open_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "motdepasse-test"  # UserFactory's password


@pytest.fixture
def cast(transactional_db):
    association = OrganisationFactory(
        name="Recyclerie du Bocage", short_name="RB", is_refurbisher=True
    )
    ccas = OrganisationFactory(name="CCAS de Chartres", short_name="CCAS", is_prescriber=True)
    staff = UserFactory(username="ines", first_name="Inès", email="ines@example.org")
    MembershipFactory(user=staff, organisation=association, role="staff")
    prescriber = UserFactory(username="paul", first_name="Paul", email="paul@example.org")
    MembershipFactory(user=prescriber, organisation=ccas, role="prescriber")
    household = HouseholdFactory(
        organisation=ccas, name="Mme Martin", consent_recorded_by=prescriber
    )
    _criterion("rsa")
    device = DeviceFactory(
        owner=association,
        state="ready",
        grade="A",
        brand="Lenovo",
        model="ThinkPad T470",
        state_changed_at=timezone.now() - dt.timedelta(days=20),
    )
    return household, device


def login(page, base, username):
    page.goto(f"{base}/comptes/login/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


@pytest.mark.submits(
    "prets:eligibility_add",
    "prets:request_create",
    "prets:request_action",
    "prets:allocate",
    "prets:loan_start",
    "prets:loan_action",
)
def test_request_approval_allocation_loan_and_return(live_server, browser, page, cast, axe_check):
    household, device = cast
    base = live_server.url

    # --- the social worker --------------------------------------------------------------------
    login(page, base, "paul")
    # From the menu, as a social worker would: Foyers, the household, its equipment file.
    open_menu(page)
    page.get_by_role("navigation").get_by_role("link", name="Foyers").click()
    page.get_by_role("link", name="Mme Martin").click()
    axe_check(page, "household page")
    page.get_by_role("link", name="Équipement : éligibilité, demandes et prêts").click()
    expect(page).to_have_url(f"{base}/dossiers/{household.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mme Martin")
    axe_check(page, "household file")
    page.get_by_role("link", name="Vérifier l'éligibilité").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifier l'éligibilité")
    axe_check(page, "eligibility form")
    page.get_by_label("Critère").select_option(label="Revenu de solidarité active (RSA)")
    page.get_by_label("Justificatif vu").select_option("notification de droits")
    page.get_by_role("button", name="Enregistrer la vérification").click()
    expect(page.get_by_role("status")).to_have_text("Vérification d'éligibilité enregistrée.")
    expect(page.get_by_role("table")).to_contain_text("notification de droits")

    page.get_by_role("link", name="Nouvelle demande d'équipement").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mme Martin")
    axe_check(page, "request form")
    page.get_by_label("Appareil demandé").select_option("laptop")
    page.get_by_role("radio", name="prêt").check()
    page.locator("#id_purpose").select_option("employment")
    page.get_by_label("Urgence").select_option("1")
    page.get_by_label("Éligibilité").select_option(index=1)
    # Without the consent tick the request is not sent.
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_role("alert")).to_contain_text("ne peut pas être envoyée sans cette case")
    assert not DeviceRequest.objects.exists()
    axe_check(page, "request form with an error")
    page.get_by_label(re.compile("La personne a été informée")).check()
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_role("status")).to_have_text("Demande envoyée à l'association.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Envoyée")
    axe_check(page, "request page (prescriber)")
    request_url = page.url

    # --- the association's staff --------------------------------------------------------------
    desk = browser.new_context(**PHONE, bypass_csp=True)
    staff_page = desk.new_page()
    try:
        login(staff_page, base, "ines")
        open_menu(staff_page)
        staff_page.get_by_role("navigation").get_by_role("link", name="Demandes reçues").click()
        expect(staff_page.get_by_role("heading", level=1)).to_have_text("Demandes reçues")
        row = staff_page.get_by_role("row").filter(has_text="Mme Martin")
        expect(row).to_contain_text("urgente")
        axe_check(staff_page, "queue")
        row.get_by_role("link").first.click()
        expect(staff_page).to_have_url(request_url)
        staff_page.get_by_role("button", name="Accepter la demande").click()
        expect(staff_page.get_by_role("status")).to_contain_text("Demande acceptée")
        axe_check(staff_page, "request page (approved)")

        staff_page.get_by_role("link", name="Attribuer un appareil").click()
        expect(staff_page.get_by_role("heading", level=1)).to_have_text("Attribuer un appareil")
        axe_check(staff_page, "allocation page")
        staff_page.get_by_role("button", name=f"Attribuer {device.public_code}").click()
        expect(staff_page.get_by_role("status")).to_contain_text(f"{device.public_code} réservé")

        staff_page.get_by_role("link", name="Commencer le prêt").click()
        expect(staff_page.get_by_role("heading", level=1)).to_have_text("Commencer le prêt")
        axe_check(staff_page, "loan start form")
        staff_page.get_by_label("Caution (€)").fill("20")
        staff_page.get_by_label("Caution versée ce jour").check()
        staff_page.get_by_role("button", name="Remettre l'appareil en prêt").click()
        expect(staff_page.get_by_role("status")).to_contain_text("Prêt commencé")
        expect(staff_page.get_by_role("heading", level=1)).to_contain_text("en cours")
        axe_check(staff_page, "loan page")
        agreement = staff_page.get_by_role("link", name="Convention de prêt (PDF)")
        pdf = staff_page.request.get(base + agreement.get_attribute("href"))
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf"

        staff_page.get_by_role("link", name="Enregistrer le retour").click()
        expect(staff_page.get_by_role("heading", level=1)).to_have_text("Retour de l'appareil")
        axe_check(staff_page, "return form")
        staff_page.get_by_label("Appareil complet").check()
        staff_page.get_by_label("Dégâts constatés").fill("rayure sur le capot")
        staff_page.get_by_role("button", name="Enregistrer le retour").click()
        expect(staff_page.get_by_role("status")).to_contain_text("Retour enregistré")
        expect(staff_page.get_by_role("heading", level=1)).to_contain_text("rendu")
        axe_check(staff_page, "loan page (returned)")
    finally:
        desk.close()

    # --- the social worker follows it -----------------------------------------------------------
    page.goto(request_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Équipé")
    open_menu(page)
    page.get_by_role("link", name="Prêts").first.click()
    page.get_by_role("link", name="Terminés").click()
    expect(page.get_by_role("row").filter(has_text="Mme Martin")).to_contain_text("rendu")
    axe_check(page, "loan list (prescriber)")

    loan = Loan.objects.get()
    assert loan.state == "returned" and loan.deposit_paid_on == timezone.localdate()
    assert loan.inspection.complete and not loan.inspection.accessories_returned
    device = Device.objects.get(pk=device.pk)
    assert device.state == "returned" and device.cycle == 2
    assert list(
        DeviceEvent.objects.filter(device=device).order_by("id").values_list("action", flat=True)
    ) == ["allocate", "lend", "take_back"]
