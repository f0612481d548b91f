"""A technician's morning on a phone: the home page's work queue → the devices waiting at a
stage → tick several → one transition, confirmed, done device by device (one refused).

Real Chromium at phone size against the live server; each page passes axe-core (no serious
or critical violation), never scrolls sideways, and its row links and check boxes are tap
targets of at least 44 px.
"""

import pytest
from playwright.sync_api import expect

from parc.models import Device, DeviceEvent
from tests.acteurs.factories import (
    HouseholdFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.parc.factories import DeviceFactory, ErasureRecordFactory, StorageMediumFactory

from .test_workshop_phone import PASSWORD, assert_no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bench(transactional_db):
    org = OrganisationFactory(name="Recyclerie du Bocage", short_name="RB", is_refurbisher=True)
    technician = UserFactory(username="theo", first_name="Théo")
    MembershipFactory(user=technician, organisation=org, role="technician")
    erased = []
    for model in ("Latitude 5490", "Latitude 7490"):
        device = DeviceFactory(owner=org, state="triage", brand="Dell", model=model)
        ErasureRecordFactory(medium=StorageMediumFactory(device=device))
        erased.append(device)
    # Its disk was never erased: the wipe is refused for this one.
    unerased = DeviceFactory(owner=org, state="triage", brand="HP", model="ProBook 450 G6")
    StorageMediumFactory(device=unerased)
    DeviceFactory.create_batch(2, owner=org, state="registered")
    return technician, erased, unerased


def log_in(page, live_server):
    page.goto(f"{live_server.url}/comptes/login/")
    page.get_by_label("Identifiant").fill("theo")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def assert_tap_targets(page, selector: str):
    """Each element matching ``selector`` is at least 44 px high and wide enough to tap."""
    sizes = page.eval_on_selector_all(
        selector,
        "nodes => nodes.map(n => { const r = n.getBoundingClientRect();"
        " return [r.width, r.height]; })",
    )
    assert sizes, f"nothing matches {selector}"
    for width, height in sizes:
        assert height >= 44 and width >= 44, f"{selector}: {width}×{height} px"


@pytest.mark.submits("parc:list", "parc:bulk")
def test_a_technician_goes_from_the_home_to_a_bulk_wipe_on_a_phone(
    live_server, page, bench, axe_check, screenshot
):
    technician, erased, unerased = bench
    log_in(page, live_server)

    # The home: the devices waiting at each stage, as counts to tap.
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour Théo")
    section = page.get_by_role("region", name="Appareils en attente à l'atelier")
    expect(section).to_be_visible()
    triage = section.get_by_role("link", name="3 En diagnostic")
    expect(triage).to_be_visible()
    axe_check(page, "technician's home")
    assert_no_horizontal_scroll(page)
    assert_tap_targets(page, ".home-counts a")
    screenshot(page, "home-technician-phone")

    # The devices in triage, longest there first.
    triage.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Appareils")
    expect(page.get_by_text("3 appareils")).to_be_visible()
    axe_check(page, "devices in triage")
    assert_no_horizontal_scroll(page)
    assert_tap_targets(page, ".rows-linked .row-link")
    assert_tap_targets(page, ".rows-linked .row-select")
    screenshot(page, "devices-triage-phone")

    # Tick the three, choose the wipe.
    for device in (*erased, unerased):
        page.get_by_label(f"Cocher {device.public_code}").check()
    page.get_by_label("Action sur les appareils cochés").select_option(
        label="Valider l'effacement des données"
    )
    page.get_by_role("button", name="Continuer").click()

    # The confirmation lists the devices; nothing has changed yet.
    expect(page.get_by_role("heading", level=1)).to_contain_text("3 appareils cochés")
    for device in (*erased, unerased):
        expect(page.get_by_role("link", name=device.public_code)).to_be_visible()
    assert Device.objects.filter(state="triage").count() == 3
    axe_check(page, "bulk confirmation")
    assert_no_horizontal_scroll(page)
    screenshot(page, "bulk-confirm-phone")
    page.get_by_label("Note (ajoutée à l'historique de chaque appareil)").fill("Lot du matin")
    page.get_by_role("button", name="confirmer pour 3 appareils").click()

    # Back on the list: one message per device, the refused one says why.
    messages = page.locator(".message")
    expect(messages).to_have_count(3)
    expect(messages.filter(has_text=unerased.public_code)).to_contain_text("Effacement manquant")
    for device in erased:
        expect(messages.filter(has_text=device.public_code)).to_contain_text("fait")
    axe_check(page, "list after the bulk wipe")
    assert_no_horizontal_scroll(page)
    screenshot(page, "bulk-done-phone")
    states = dict(Device.objects.values_list("pk", "state"))
    assert [states[d.pk] for d in erased] == ["wiped", "wiped"]
    assert states[unerased.pk] == "triage"
    assert DeviceEvent.objects.filter(action="wipe", note="Lot du matin").count() == 2

    # The list kept its filter (one device still in triage); reset it: every device again.
    expect(page.get_by_text("1 appareil", exact=False).first).to_be_visible()
    page.get_by_role("button", name="Réinitialiser les filtres").click()
    expect(page.get_by_text("5 appareils")).to_be_visible()
    expect(page.get_by_role("button", name="Réinitialiser les filtres")).to_have_count(0)


@pytest.mark.submits("households")
def test_a_prescriber_sorts_the_households_and_resets_the_list_on_a_phone(
    live_server, page, axe_check
):
    ccas = OrganisationFactory(name="CCAS du Perche", short_name="CCAS", is_prescriber=True)
    prescriber = UserFactory(username="theo", first_name="Théo")
    MembershipFactory(user=prescriber, organisation=ccas, role="prescriber")
    for name in ("Mme Aubert", "Mme Zola", "Mme Martin"):
        HouseholdFactory(organisation=ccas, name=name)
    log_in(page, live_server)
    expect(page.get_by_role("region", name="Foyers suivis")).to_be_visible()
    page.get_by_role("link", name="Tous vos foyers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Foyers")
    names = page.locator("table .row-link")
    expect(names).to_have_text(["Mme Aubert", "Mme Martin", "Mme Zola"])
    page.get_by_label("Trier par").select_option(label="Nom (Z → A)")
    page.get_by_role("button", name="Rechercher").click()
    expect(names).to_have_text(["Mme Zola", "Mme Martin", "Mme Aubert"])
    axe_check(page, "household list sorted")
    assert_no_horizontal_scroll(page)
    assert_tap_targets(page, ".rows-linked .row-link")
    # Kept for the next visit…
    page.goto(f"{live_server.url}/foyers/")
    expect(names).to_have_text(["Mme Zola", "Mme Martin", "Mme Aubert"])
    # …until reset.
    page.get_by_role("button", name="Réinitialiser les filtres").click()
    expect(names).to_have_text(["Mme Aubert", "Mme Martin", "Mme Zola"])
