"""A technician at the workbench, on a phone: from a device in triage to "Disponible".

Real Chromium against the live server; every page visited must pass axe-core (no serious
or critical violation) and the phone layout must not scroll sideways.
"""

import re

import pytest
from playwright.sync_api import expect

from parc.checklists import checklist_for
from parc.models import Device, DeviceEvent, State
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.parc.factories import DeviceFactory, StockLocationFactory, StorageMediumFactory

from .conftest import open_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "motdepasse-test"  # UserFactory's password


@pytest.fixture
def workshop(transactional_db):
    org = OrganisationFactory(name="Recyclerie du Bocage", short_name="RB", is_refurbisher=True)
    technician = UserFactory(username="theo", first_name="Théo")
    MembershipFactory(user=technician, organisation=org, role="technician")
    location = StockLocationFactory(organisation=org, name="Établi 2")
    return org, technician, location


def assert_no_horizontal_scroll(page):
    """Nothing wider than the phone's screen.

    With is_mobile, Chromium behaves like a phone browser: when the content is wider than
    the screen it zooms out and window.innerWidth grows with it (481 for 390), so
    ``scrollWidth <= innerWidth`` alone would always pass. Compare with the screen width.
    """
    screen = page.viewport_size["width"]
    widths = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["inner"] <= screen, (
        f"page wider than the {screen}px screen on {page.url}: {widths}"
    )


@pytest.mark.submits("parc:erasure_add", "parc:transition")
def test_technician_takes_a_laptop_from_triage_to_ready_on_a_phone(
    live_server, page, workshop, axe_check, screenshot
):
    org, technician, location = workshop
    device = DeviceFactory(
        owner=org, state="triage", brand="Lenovo", model="ThinkPad T460", location=location
    )
    medium = StorageMediumFactory(device=device, manufacturer="Samsung", model="PM871")
    device_url = f"{live_server.url}/e/{device.public_code}/"

    # The technician scans the label's QR code: not logged in yet, the login page opens.
    page.goto(device_url)
    expect(page).to_have_url(re.compile(r"/comptes/login/\?next="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")
    axe_check(page, "login page")
    screenshot(page, "login")
    page.get_by_label("Identifiant").fill("theo")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_label("Mot de passe").press("Enter")

    # Back on the device page it was headed for.
    expect(page).to_have_url(device_url)
    expect(page.locator(".device-head .state")).to_have_text("En diagnostic")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lenovo ThinkPad T460")
    assert_no_horizontal_scroll(page)
    axe_check(page, "device page (triage)")
    screenshot(page, "device-triage")

    # Wipe page: the medium is not erased yet; record its erasure.
    page.get_by_role("link", name="Valider l'effacement des données").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Valider l'effacement des données")
    card = page.locator(".medium.card")
    expect(card.locator(".state")).to_have_text("Pas encore effacé")
    assert_no_horizontal_scroll(page)
    axe_check(page, "wipe page, erasure form closed")
    card.get_by_text("Enregistrer un effacement de ce support").click()
    form = card.locator("form")
    expect(form).to_be_visible()
    axe_check(page, "wipe page, erasure form open")
    screenshot(page, "wipe-form")
    assert_no_horizontal_scroll(page)
    form.get_by_label("Niveau d'assainissement").select_option("purge")
    form.get_by_label("Méthode").select_option("block_erase")
    # What the certificate states is chosen, never preselected.
    form.get_by_label("Vérification").select_option("full")
    form.get_by_label("Résultat").select_option("erased")
    form.get_by_label("Destination après effacement").select_option("reuse")
    form.get_by_label(re.compile(r"^Outil\b")).fill("nwipe")
    version = form.get_by_label("Version de l'outil")
    version.fill("0.35")
    version.press("Enter")

    expect(page.get_by_role("status")).to_have_text("Effacement enregistré.")
    expect(card.locator(".state")).to_have_text("Effacé pour ce cycle")
    expect(card.locator(".erasures li")).to_contain_text("nwipe 0.35")
    axe_check(page, "wipe page, medium erased")
    page.get_by_role("button", name="Valider l'effacement des données").click()

    expect(page).to_have_url(device_url)
    expect(page.get_by_role("status")).to_contain_text("Données effacées")
    expect(page.locator(".device-head .state")).to_have_text("Données effacées")
    page.get_by_role("link", name="Commencer le reconditionnement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Commencer le reconditionnement")
    page.get_by_label("Note").fill("Pâte thermique refaite")
    page.get_by_role("button", name="Commencer le reconditionnement").click()

    expect(page.locator(".device-head .state")).to_have_text("En reconditionnement")
    page.get_by_role("link", name="Déclarer disponible").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Déclarer disponible")
    assert_no_horizontal_scroll(page)
    axe_check(page, "mark-ready page")
    screenshot(page, "mark-ready")
    checks = page.get_by_role("group", name="Tests fonctionnels (tous obligatoires)")
    boxes = checks.get_by_role("checkbox")
    expect(boxes).to_have_count(len(checklist_for("laptop")))
    for box in boxes.all():
        box.check()
    page.get_by_role("radio", name="B – bon état").check()
    page.get_by_role("button", name="Déclarer disponible").click()

    expect(page).to_have_url(device_url)
    expect(page.locator(".device-head .state")).to_have_text("Disponible")
    expect(page.locator(".device-head .grade")).to_contain_text("B – bon état")
    history = page.locator(".timeline > li")
    # Newest first: each step of the workshop is listed with who did it.
    expect(history).to_have_count(4)
    expect(history.nth(0)).to_contain_text("En reconditionnement → Disponible")
    expect(history.nth(1)).to_contain_text("Données effacées → En reconditionnement")
    expect(history.nth(1)).to_contain_text("Pâte thermique refaite")
    expect(history.nth(2)).to_contain_text("En diagnostic → Données effacées")
    expect(history.nth(3)).to_contain_text("Effacement enregistré")
    expect(history.nth(3)).to_contain_text("Samsung")
    for item in history.all():
        expect(item).to_contain_text("par Théo")
    assert_no_horizontal_scroll(page)
    axe_check(page, "device page (ready)")
    screenshot(page, "device-ready")

    # The pool list shows it available.
    open_menu(page)
    page.get_by_role("link", name="Appareils").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Appareils")
    row = page.get_by_role("row").filter(has_text=device.public_code)
    expect(row).to_contain_text("Disponible")
    assert_no_horizontal_scroll(page)
    axe_check(page, "device list")
    screenshot(page, "device-list-1")

    device = Device.objects.get(pk=device.pk)
    assert device.state == State.READY
    assert device.grade == "B"
    events = list(
        DeviceEvent.objects.filter(device=device)
        .order_by("id")
        .values_list("action", "source_state", "target_state", "actor__username", "note")
    )
    assert events == [
        ("erasure", "triage", "triage", "theo", f"{medium} : effacé"),
        ("wipe", "triage", "wiped", "theo", ""),
        ("start_refurbishment", "wiped", "refurbishing", "theo", "Pâte thermique refaite"),
        ("mark_ready", "refurbishing", "ready", "theo", ""),
    ]
    erasure = medium.erasures.get()
    assert (erasure.level, erasure.method, erasure.tool, erasure.tool_version) == (
        "purge",
        "block_erase",
        "nwipe",
        "0.35",
    )
    assert erasure.operator == technician
    refurbishment = device.refurbishments.get()
    assert refurbishment.passed
    assert all(refurbishment.checklist.values())
    assert refurbishment.grade == "B"


def test_device_list_fits_a_phone_and_passes_axe(
    live_server, page, workshop, axe_check, screenshot
):
    org, technician, location = workshop
    for state in ("registered", "triage", "wiped", "refurbishing", "ready"):
        DeviceFactory(
            owner=org,
            state=state,
            location=location,
            brand="Hewlett-Packard",
            model="EliteBook 840 G3 avec station d'accueil",
            serial="5CG7123ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",  # long, unbreakable
        )
    page.goto(f"{live_server.url}/comptes/login/?next=/appareils/")
    page.get_by_label("Identifiant").fill("theo")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Appareils")
    expect(page.locator(".result-count")).to_contain_text("5 appareils")
    assert_no_horizontal_scroll(page)
    axe_check(page, "device list (5 devices)")
    screenshot(page, "device-list-5")

    # Its long serial number does not widen the device page either.
    page.locator("a.code").first.click()
    expect(page.locator(".specs")).to_contain_text("5CG7123ABCDEFGHIJ")
    assert_no_horizontal_scroll(page)
    screenshot(page, "device-long-serial")
