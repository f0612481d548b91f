"""Issue 15's forms on a phone, in Chromium: the request's usage needs with the household's
consent, the usage profile and adaptations when a device is made ready, the technician's work
time and parts, a digital-inclusion voucher on a sale. Every page passes axe-core and fits
the phone's width."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from parc.models import Adaptation, Device, Part, PartUse, UsageProfile, WorkTime
from prets.matching import ensure_profile_rules
from prets.models import DeviceRequest, Need, Sale, Voucher
from tests.acteurs.factories import (
    HouseholdFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.parc.factories import DeviceFactory
from tests.prets.factories import (
    DeviceRequestFactory,
    EligibilityCheckFactory,
    LoanFactory,
    _criterion,
)

from .test_forms_and_report_phone import log_in
from .test_workshop_phone import assert_no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cast(transactional_db):
    ensure_profile_rules()
    association = OrganisationFactory(
        name="Recyclerie du Bocage", short_name="RB", is_refurbisher=True
    )
    ccas = OrganisationFactory(name="CCAS de Chartres", short_name="CCAS", is_prescriber=True)
    people = {}
    for username, organisation, role in (
        ("ines", association, "staff"),
        ("theo", association, "technician"),
        ("paul", ccas, "prescriber"),
    ):
        people[username] = UserFactory(username=username, email=f"{username}@example.org")
        MembershipFactory(user=people[username], organisation=organisation, role=role)
    return association, ccas, people


def test_needs_are_recorded_only_with_consent(live_server, page, axe_check, cast):
    association, ccas, people = cast
    household = HouseholdFactory(
        organisation=ccas, name="M. Bernard", consent_recorded_by=people["paul"]
    )
    _criterion("rsa")
    EligibilityCheckFactory(household=household, checked_by=people["paul"])
    log_in(page, live_server, "paul")
    page.goto(f"{live_server.url}/dossiers/{household.pk}/demande/")
    axe_check(page, "request form with needs")
    assert_no_horizontal_scroll(page)
    page.get_by_label("grand écran").check()
    page.get_by_label("lecteur d'écran").check()
    page.get_by_role("button", name="Enregistrer un brouillon").click()
    expect(page.get_by_role("alert")).to_contain_text("accord du foyer")
    assert not DeviceRequest.objects.exists()
    page.get_by_label("Le foyer est d'accord").check()
    page.get_by_role("button", name="Enregistrer un brouillon").click()
    expect(page.get_by_text("Brouillon enregistré.")).to_be_visible()
    expect(page.get_by_text("grand écran, lecteur d'écran")).to_be_visible()
    request = DeviceRequest.objects.get()
    assert request.needs == Need.LARGE_SCREEN | Need.SCREEN_READER
    axe_check(page, "request page with needs")


def test_a_device_made_ready_with_its_profile_and_adaptations(live_server, page, axe_check, cast):
    association, _ccas, _people = cast
    screen = DeviceFactory(owner=association, kind="screen", state="refurbishing")
    log_in(page, live_server, "theo")
    page.goto(f"{live_server.url}/e/{screen.public_code}/action/mark_ready/")
    axe_check(page, "mark ready with profile")
    assert_no_horizontal_scroll(page)
    for box in page.locator("fieldset.checklist input[type=checkbox]").all():
        box.check()
    page.get_by_label("A – très bon état").check()
    page.get_by_label("Simplifié", exact=False).check()
    page.get_by_label("grand écran (17 pouces ou plus)").check()
    page.get_by_role("button", name="Déclarer disponible").click()
    expect(page.get_by_text("L'appareil est maintenant « Disponible »")).to_be_visible()
    expect(page.get_by_text("grand écran (17 pouces ou plus)")).to_be_visible()
    screen = Device.objects.get(pk=screen.pk)
    assert screen.usage_profile == UsageProfile.objects.get(code="simplifie")
    assert screen.adaptations == Adaptation.LARGE_SCREEN


@pytest.mark.submits("parc:work_and_parts")
def test_work_time_and_a_part_on_a_device(live_server, page, axe_check, cast):
    association, _ccas, _people = cast
    device = DeviceFactory(owner=association, state="refurbishing")
    Part.objects.create(
        organisation=association,
        category="battery",
        label="Batterie 6 cellules",
        unit_cost=Decimal("25"),
        quantity=2,
    )
    log_in(page, live_server, "theo")
    page.goto(f"{live_server.url}/e/{device.public_code}/")
    page.get_by_role("link", name="Temps de travail et pièces").click()
    axe_check(page, "work time and parts")
    assert_no_horizontal_scroll(page)
    page.get_by_label("Étape", exact=False).and_(page.locator("select")).select_option(
        label="reconditionnement et tests"
    )
    page.get_by_label("Temps passé (minutes)").fill("80")
    page.get_by_label("Dont minutes de travailleurs accompagnés").fill("80")
    page.get_by_role("button", name="Enregistrer le temps").click()
    expect(page.get_by_text("Temps de travail enregistré.")).to_be_visible()
    page.get_by_label("Pièce", exact=False).and_(page.locator("select")).select_option(index=1)
    page.get_by_role("button", name="Prendre dans le stock").click()
    expect(page.get_by_text("Pièce enregistrée et retirée du stock.")).to_be_visible()
    assert WorkTime.objects.get().supported_minutes == 80
    assert PartUse.objects.get().part.quantity == 1
    axe_check(page, "work time and parts, after")


@pytest.mark.submits("prets:voucher_add")
def test_a_voucher_on_a_sale_once(live_server, page, axe_check, cast):
    association, _ccas, people = cast
    request = DeviceRequestFactory(state="fulfilled", refurbisher=association, mode="purchase")
    device = DeviceFactory(owner=association, state="transferred")
    sale = Sale.objects.create(
        request=request,
        device=device,
        household=request.household,
        organisation=association,
        number=1,
        buyer_name="Acheteur",
        price=Decimal("100"),
        payment_method="voucher",
        sold_on=dt.date.today(),
        guarantee_until=dt.date.today() + dt.timedelta(days=730),
        presumption_until=dt.date.today() + dt.timedelta(days=365),
        sold_by=people["ines"],
    )
    log_in(page, live_server, "ines")
    page.goto(f"{live_server.url}/demandes/{request.pk}/")
    page.get_by_role("link", name="Chèque numérique reçu").click()
    axe_check(page, "voucher form")
    assert_no_horizontal_scroll(page)

    def fill(number):
        page.get_by_label("Dispositif").select_option(label="chèque APTIC")
        page.get_by_label("Émetteur").fill("APTIC")
        page.get_by_label("Numéro du chèque").fill(number)
        page.get_by_label("Valeur (€)").fill("20")
        page.get_by_role("button", name="Enregistrer le chèque").click()

    fill("AP 1234")
    expect(page.get_by_text("Chèque enregistré.")).to_be_visible()
    page.goto(f"{live_server.url}/ventes/{sale.pk}/cheque/")
    fill("ap1234")
    expect(page.get_by_role("alert").first).to_contain_text("déjà été utilisé")
    assert Voucher.objects.count() == 1
    page.goto(f"{live_server.url}/cheques-numeriques/")
    axe_check(page, "vouchers to claim")
    assert_no_horizontal_scroll(page)
    expect(page.get_by_role("rowheader", name="AP1234")).to_be_visible()


@pytest.mark.submits("prets:loan_voucher_add")
def test_a_voucher_on_a_loan_fee_once_across_sales_and_loans(live_server, page, axe_check, cast):
    association, _ccas, people = cast
    sale_request = DeviceRequestFactory(state="fulfilled", refurbisher=association, mode="purchase")
    sale = Sale.objects.create(
        request=sale_request,
        device=DeviceFactory(owner=association, state="transferred"),
        household=sale_request.household,
        organisation=association,
        number=1,
        buyer_name="Acheteur",
        price=Decimal("100"),
        payment_method="voucher",
        sold_on=dt.date.today(),
        guarantee_until=dt.date.today() + dt.timedelta(days=730),
        presumption_until=dt.date.today() + dt.timedelta(days=365),
        sold_by=people["ines"],
    )
    Voucher.objects.create(
        scheme="aptic",
        issuer="APTIC",
        issuer_key="aptic",
        number="AP1234",
        value=Decimal("20"),
        sale=sale,
        organisation=association,
        recorded_by=people["ines"],
    )
    loan = LoanFactory(
        request__refurbisher=association, started_on=dt.date.today(), fee_amount=Decimal("30")
    )
    log_in(page, live_server, "ines")
    page.goto(f"{live_server.url}/prets/{loan.pk}/")
    expect(page.get_by_text("Frais de prêt")).to_be_visible()
    page.get_by_role("link", name="Chèque numérique reçu").click()
    axe_check(page, "loan fee voucher form")
    assert_no_horizontal_scroll(page)

    def fill(number):
        page.get_by_label("Dispositif").select_option(label="chèque APTIC")
        page.get_by_label("Émetteur").fill("APTIC")
        page.get_by_label("Numéro du chèque").fill(number)
        page.get_by_label("Valeur (€)").fill("20")
        page.get_by_role("button", name="Enregistrer le chèque").click()

    fill("ap 1234")
    expect(page.get_by_role("alert").first).to_contain_text("déjà été utilisé")
    expect(page.get_by_role("alert").first).to_contain_text("pour une vente")
    fill("AP 5678")
    expect(page.get_by_text("Chèque enregistré.")).to_be_visible()
    expect(page.get_by_text("APTIC n° AP5678 (20,00 €)")).to_be_visible()
    assert Voucher.objects.get(number="AP5678").loan_id == loan.pk
    page.goto(f"{live_server.url}/cheques-numeriques/")
    expect(page.get_by_text(f"frais du prêt n° {loan.pk}")).to_be_visible()
