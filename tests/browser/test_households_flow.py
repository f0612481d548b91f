"""The households and what happens to them after a request, in Chromium:

- a social worker, on a small phone, records a household (read the information text, tick the
  box), corrects it, drafts an equipment request, records that the person was informed and
  sends it;
- the prescriber's administrator, at a desk, completes the organisation's contact details for
  the information notice and erases a household's data at its request;
- the association's staff, on a phone, releases a device reserved for a request, records a
  solidarity sale, and keeps a loan's file: agreement signed, deposit paid and refunded, a
  follow-up call.

Every form is sent as a person sends it; the French answer is read on the page and the rows
are checked in the database."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from acteurs.models import Household, Organisation
from parc.models import Device
from prets.models import Allocation, DeviceRequest, Loan, LoanFollowUp, Sale
from tests.acteurs.factories import (
    CommuneFactory,
    HouseholdFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.prets.factories import (
    AllocationFactory,
    EligibilityCheckFactory,
    LoanFactory,
    _criterion,
)

from .conftest import log_in, open_menu
from .test_workshop_phone import assert_no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scheme(transactional_db):
    chartres = CommuneFactory()
    association = OrganisationFactory(
        name="Recyclerie du Bocage", short_name="RB", is_refurbisher=True, commune=chartres
    )
    ccas = OrganisationFactory(
        name="CCAS de Chartres", short_name="CCAS", is_prescriber=True, commune=chartres
    )
    paul = UserFactory(username="paul", first_name="Paul", last_name="Girard")
    MembershipFactory(user=paul, organisation=ccas, role="prescriber")
    sophie = UserFactory(username="sophie", first_name="Sophie", last_name="Blanc")
    MembershipFactory(user=sophie, organisation=ccas, role="admin")
    ines = UserFactory(username="ines", first_name="Inès", last_name="Martin")
    MembershipFactory(user=ines, organisation=association, role="staff")
    _criterion("rsa")
    return association, ccas, paul


@pytest.mark.submits(
    "household_create", "household_edit", "prets:request_create", "prets:request_consent"
)
def test_a_household_recorded_corrected_and_its_request_sent_on_a_small_phone(
    live_server, small_phone_page, scheme, axe_check, screenshot
):
    association, ccas, paul = scheme
    page = small_phone_page
    log_in(page, live_server.url, "paul")
    open_menu(page)
    page.get_by_role("navigation").get_by_role("link", name="Foyers").click()
    page.get_by_role("link", name="Enregistrer un foyer").click()
    axe_check(page, "household form")
    assert_no_horizontal_scroll(page)
    page.get_by_label("Nom du foyer").fill("Mme Martin")
    page.get_by_label("Téléphone").fill("06 12 34 56 78")
    page.get_by_label("Nombre de personnes").fill("3")
    page.get_by_label("Parent isolé").check()
    # Not yet informed: the household is not recorded.
    page.get_by_role("button", name="Enregistrer le foyer").click()
    expect(page.locator("#informed-error")).to_be_visible()
    assert not Household.objects.exists()
    page.get_by_label("Le foyer a été informé (texte ci-dessus) et donne son accord.").check()
    page.get_by_role("button", name="Enregistrer le foyer").click()
    expect(page.get_by_role("status")).to_have_text("Foyer enregistré.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mme Martin")
    household = Household.objects.get()
    assert household.organisation == ccas and household.size == 3
    assert household.is_single_parent and household.consent_recorded_by == paul
    assert_no_horizontal_scroll(page)

    page.get_by_role("link", name="Modifier", exact=True).click()
    page.get_by_label("Nombre de personnes").fill("4")
    page.get_by_label("Courriel").fill("martin@example.org")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    expect(page.get_by_role("status")).to_have_text("Foyer mis à jour.")
    household.refresh_from_db()
    assert household.size == 4 and household.email == "martin@example.org"

    # A draft request, before the person has been told where it goes.
    EligibilityCheckFactory(household=household, checked_by=paul)
    page.get_by_role("link", name="Équipement : éligibilité, demandes et prêts").click()
    page.get_by_role("link", name="Nouvelle demande d'équipement").click()
    page.get_by_label("Appareil demandé").select_option("laptop")
    page.get_by_role("radio", name="prêt").check()
    page.locator("#id_purpose").select_option("employment")
    page.get_by_label("Éligibilité").select_option(index=1)
    page.get_by_role("button", name="Enregistrer un brouillon").click()
    expect(page.get_by_role("status")).to_have_text("Brouillon enregistré.")
    device_request = DeviceRequest.objects.get()
    assert device_request.state == "draft" and not device_request.consent_informed
    axe_check(page, "draft request")
    assert_no_horizontal_scroll(page)

    page.get_by_role("button", name="La personne a été informée").click()
    expect(page.get_by_role("button", name="La personne a été informée")).to_have_count(0)
    device_request.refresh_from_db()
    assert device_request.consent_informed and device_request.consent_at is not None
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_role("status")).to_have_text("Demande envoyée à l'association.")
    device_request.refresh_from_db()
    assert device_request.state == "submitted" and device_request.refurbisher == association
    screenshot(page, "request-sent-small-phone")


@pytest.mark.submits("privacy_contact", "household_erase")
def test_the_administrator_completes_the_notice_and_erases_a_household_at_a_desk(
    live_server, desk_page, scheme, axe_check
):
    _association, ccas, _paul = scheme
    leaving = HouseholdFactory(
        organisation=ccas, name="M. Lambert", phone="0611223344", email="lambert@example.org"
    )
    page = desk_page
    log_in(page, live_server.url, "sophie")

    page.get_by_role("navigation").get_by_role("link", name="Mon compte").click()
    page.get_by_role("link", name="Coordonnées et notice d'information des foyers").click()
    axe_check(page, "privacy contact form")
    page.get_by_label("Adresse", exact=False).first.fill("Hôtel de ville, place des Épars")
    page.get_by_label("Code postal").fill("28000")
    page.get_by_label("Courriel pour les données personnelles").fill("rgpd@ccas-chartres.example")
    page.get_by_label("Délégué à la protection des données").fill("DPO, dpo@example.org")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_role("status")).to_have_text(
        "Coordonnées enregistrées : la notice d'information les reprend."
    )
    ccas = Organisation.objects.get(pk=ccas.pk)
    assert ccas.postcode == "28000" and ccas.privacy_email == "rgpd@ccas-chartres.example"
    page.get_by_role("link", name="Voir la notice d'information des foyers").click()
    expect(page.get_by_text("rgpd@ccas-chartres.example").first).to_be_visible()

    page.get_by_role("navigation").get_by_role("link", name="Foyers").click()
    page.get_by_role("link", name="M. Lambert").click()
    page.get_by_role("link", name="Effacer ses données").click()
    axe_check(page, "erase form")
    page.get_by_role("button", name="Effacer définitivement").click()
    expect(page.get_by_text("Cochez la case pour confirmer l'effacement.").first).to_be_visible()
    assert Household.objects.get(pk=leaving.pk).name == "M. Lambert"
    page.get_by_label(re.compile("Je confirme que la personne a demandé l'effacement")).check()
    page.get_by_role("button", name="Effacer définitivement").click()
    expect(page.get_by_role("status")).to_have_text(
        "Les données personnelles du foyer ont été effacées."
    )
    erased = Household.objects.get(pk=leaving.pk)
    assert erased.is_anonymised
    assert "Lambert" not in erased.name and erased.phone == "" and erased.email == ""
    expect(page.get_by_text("M. Lambert")).to_have_count(0)


@pytest.mark.submits("prets:release", "prets:sale_create", "prets:loan_date", "prets:follow_up")
def test_the_association_releases_a_device_sells_another_and_keeps_a_loan_file_on_a_phone(
    live_server, page, scheme, axe_check, screenshot
):
    association, ccas, paul = scheme
    reserved = AllocationFactory(
        request__household=HouseholdFactory(organisation=ccas, name="Mme Petit"),
        request__refurbisher=association,
        request__created_by=paul,
    )
    sold = AllocationFactory(
        request__household=HouseholdFactory(organisation=ccas, name="M. Moreau"),
        request__refurbisher=association,
        request__created_by=paul,
        request__mode="purchase",
        device__grade="B",
    )
    loan = LoanFactory(
        request__household=HouseholdFactory(organisation=ccas, name="Mme Roux"),
        request__refurbisher=association,
        request__created_by=paul,
        deposit_amount=20,
    )
    base = live_server.url
    log_in(page, base, "ines")

    # A reserved device goes back to the shelf (the household found one elsewhere).
    page.goto(f"{base}/demandes/{reserved.request_id}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Acceptée")
    page.get_by_role("button", name="Libérer l'appareil réservé").click()
    expect(page.get_by_role("status")).to_have_text(
        "Appareil libéré : il est de nouveau disponible."
    )
    expect(page.get_by_role("link", name="Attribuer un appareil")).to_be_visible()
    assert Device.objects.get(pk=reserved.device_id).state == "ready"
    assert Allocation.objects.get(pk=reserved.pk).ended_at is not None

    # A solidarity sale.
    page.goto(f"{base}/demandes/{sold.request_id}/")
    page.get_by_role("link", name="Enregistrer la vente").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vente solidaire")
    axe_check(page, "sale form")
    assert_no_horizontal_scroll(page)
    page.get_by_label("Prix (€ TTC)").fill("45")
    page.get_by_label("Moyen de paiement").select_option(label="chèque")
    page.get_by_role("button", name="Enregistrer la vente").click()
    expect(page.get_by_role("status")).to_contain_text("Vente enregistrée : reçu n°")
    sale = Sale.objects.get()
    assert sale.price == 45 and sale.payment_method == "cheque"
    assert Device.objects.get(pk=sold.device_id).state == "transferred"

    # The loan's file, from the list of loans.
    open_menu(page)
    page.get_by_role("navigation").get_by_role("link", name="Prêts").click()
    page.get_by_role("link", name=loan.device.public_code).click()
    axe_check(page, "loan page")
    assert_no_horizontal_scroll(page)
    today = timezone.localdate()
    page.get_by_label("Convention signée le").fill(today.isoformat())
    page.get_by_label("Convention signée le").locator("..").get_by_role("button").click()
    expect(page.get_by_role("status")).to_have_text("Signature de la convention enregistrée.")
    page.get_by_label("Caution versée le").locator("..").get_by_role("button").click()
    expect(page.get_by_role("status")).to_have_text("Caution enregistrée comme versée.")
    page.get_by_label("Caution rendue le").locator("..").get_by_role("button").click()
    expect(page.get_by_role("status")).to_have_text("Caution enregistrée comme rendue.")
    page.get_by_label("Type de suivi").select_option(label="appel")
    page.get_by_label("Compte rendu").fill("Utilise l'ordinateur pour ses démarches.")
    page.get_by_role("button", name="Ajouter le suivi").click()
    expect(page.get_by_role("status")).to_have_text("Suivi enregistré.")
    expect(page.get_by_text("Utilise l'ordinateur pour ses démarches.")).to_be_visible()
    loan = Loan.objects.get(pk=loan.pk)
    assert loan.agreement_signed_on == today
    assert loan.deposit_paid_on == today and loan.deposit_refunded_on == today
    follow_up = LoanFollowUp.objects.get()
    assert follow_up.loan == loan and follow_up.kind == "call" and follow_up.by.username == "ines"
    screenshot(page, "loan-file-phone")
