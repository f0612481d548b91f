"""Scanning on a phone: the keyboard path a USB or Bluetooth scanner takes (it types the code
into the focused input and presses Enter), batch mode, and the camera path with the ZXing
decoder committed under static/vendor/ (Chromium on Linux has no native BarcodeDetector).

Real Chromium against the live server; the scan pages must pass axe-core (no serious or
critical violation) and must not scroll sideways; no request may leave the site.
"""

import re
from pathlib import Path

import pytest
import qrcode
from playwright.sync_api import expect

from parc.codes import check_symbol
from parc.models import Device, DeviceEvent, ScanBatch, State
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.parc.factories import DeviceFactory, StockLocationFactory

from .conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from .test_workshop_phone import PASSWORD, assert_no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def workshop(transactional_db):
    org = OrganisationFactory(name="Recyclerie du Bocage", short_name="RB", is_refurbisher=True)
    technician = UserFactory(username="theo", first_name="Théo")
    MembershipFactory(user=technician, organisation=org, role="technician")
    return org, technician


def log_in(page, live_server, next_url):
    page.goto(f"{live_server.url}/comptes/login/?next={next_url}")
    page.get_by_label("Identifiant").fill("theo")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def watch_requests(page, live_server) -> list[str]:
    """URLs requested outside the live server (there must be none)."""
    elsewhere = []
    page.on(
        "request",
        lambda request: (
            None
            if request.url.startswith((live_server.url, "data:", "blob:"))
            else elsewhere.append(request.url)
        ),
    )
    return elsewhere


def scanner_types(page, text):
    """What a USB scanner does: type into whatever has the focus, then Enter."""
    page.keyboard.type(text, delay=5)
    page.keyboard.press("Enter")


@pytest.mark.submits("parc:scan_batch_start", "parc:scan_batch")
def test_a_technician_runs_a_triage_batch_with_a_scanner_on_a_phone(
    live_server, page, workshop, axe_check, screenshot
):
    org, technician = workshop
    screen = DeviceFactory(owner=org, kind="screen", brand="Dell", model="P2419H")
    laptop = DeviceFactory(owner=org, brand="Lenovo", model="ThinkPad T460")
    elsewhere = watch_requests(page, live_server)

    log_in(page, live_server, "/scan/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Scanner une étiquette")
    expect(page.get_by_label("Code de l'étiquette")).to_be_focused()
    axe_check(page, "scan page")
    assert_no_horizontal_scroll(page)

    # Batch mode: choose the action once.
    page.get_by_role("link", name=re.compile("Mode série")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mode série")
    axe_check(page, "batch start page")
    assert_no_horizontal_scroll(page)
    page.get_by_role("radio", name="Commencer le diagnostic").check()
    page.get_by_role("button", name="Commencer la série").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Série : Commencer le diagnostic")
    code_input = page.get_by_label("Code de l'étiquette")
    expect(code_input).to_be_focused()
    expect(page.get_by_role("button", name="Couper le son")).to_be_visible()
    axe_check(page, "batch page, empty")
    lines = page.locator("#scan-lines > li")
    status = page.get_by_role("status").filter(has=page.locator(".scan-flash"))
    counters = page.locator("#scan-counters")

    scanner_types(page, screen.public_code)
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text("Appliqué")
    expect(lines.first).to_contain_text(screen.public_code)
    expect(lines.first).to_contain_text("maintenant « En diagnostic »")
    expect(status).to_contain_text(f"Appliqué – {screen.public_code}")
    expect(counters.locator(".counter-applied dd")).to_have_text("1")
    # Ready for the next label: empty and focused, without touching the phone.
    expect(code_input).to_have_value("")
    expect(code_input).to_be_focused()

    # The QR code holds the device URL: a scanner reading it types the URL.
    scanner_types(page, f"{live_server.url}/e/{laptop.public_code}/")
    expect(lines).to_have_count(2)
    expect(lines.first).to_contain_text(laptop.public_code)
    expect(lines.first).to_contain_text("Appliqué")

    scanner_types(page, screen.public_code.lower())
    expect(lines).to_have_count(3)
    expect(lines.first).to_have_class(re.compile("outcome-duplicate"))
    expect(lines.first).to_contain_text("Déjà scanné")
    expect(lines.first).to_contain_text("Déjà scanné dans cette série.")
    expect(status).to_contain_text("Déjà scanné")
    expect(counters.locator(".counter-duplicate dd")).to_have_text("1")

    body = laptop.public_code[4:-1]
    wrong = next(s for s in "0123456789" if s != check_symbol(body))
    scanner_types(page, f"FIL-{body}{wrong}")
    expect(lines).to_have_count(4)
    expect(lines.first).to_contain_text("Code mal saisi, vérifiez la saisie")
    expect(counters.locator(".counter-failed dd")).to_have_text("1")
    expect(counters.locator(".counter-applied dd")).to_have_text("2")

    # A tap on the page (not on a control) gives the focus back to the input.
    page.get_by_role("button", name="Couper le son").click()
    expect(page.get_by_role("button", name="Couper le son")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.get_by_role("heading", level=1).click()
    expect(code_input).to_be_focused()
    assert_no_horizontal_scroll(page)
    axe_check(page, "batch page, with applied, duplicate and failed lines")
    screenshot(page, "scan-batch")

    # Reloaded, the page shows the same list (it is the server's).
    page.reload()
    expect(lines).to_have_count(4)
    expect(page.get_by_role("button", name="Couper le son")).to_have_attribute(
        "aria-pressed", "true"
    )

    # From the running list to the device, then a transition there.
    lines.nth(3).get_by_role("link", name=screen.public_code).click()
    expect(page.locator(".device-head .state")).to_have_text("En diagnostic")
    page.get_by_role("link", name="Valider l'effacement des données").click()
    page.get_by_role("button", name="Valider l'effacement des données").click()
    expect(page.locator(".device-head .state")).to_have_text("Données effacées")

    assert Device.objects.get(pk=screen.pk).state == State.WIPED
    assert Device.objects.get(pk=laptop.pk).state == State.TRIAGE
    assert list(
        DeviceEvent.objects.filter(device=screen).order_by("id").values_list("action", flat=True)
    ) == ["start_triage", "wipe"]
    batch = ScanBatch.objects.get()
    assert list(batch.lines.order_by("id").values_list("outcome", flat=True)) == [
        "applied",
        "applied",
        "duplicate",
        "mistyped",
    ]
    assert not elsewhere, f"requests outside the site: {elsewhere}"


@pytest.mark.submits("parc:scan")
def test_the_scan_page_opens_a_device_or_says_why_not(live_server, page, workshop, axe_check):
    org, technician = workshop
    device = DeviceFactory(owner=org, brand="HP", model="EliteBook 840 G3")
    log_in(page, live_server, "/scan/")
    code_input = page.get_by_label("Code de l'étiquette")
    expect(code_input).to_be_focused()

    body = "ZZZZZ9"
    scanner_types(page, f"FIL-{body}{check_symbol(body)}")
    expect(page.get_by_role("alert")).to_contain_text("Code inconnu")
    expect(code_input).to_be_focused()
    expect(code_input).to_have_value("")
    axe_check(page, "scan page with an error")
    assert_no_horizontal_scroll(page)

    scanner_types(page, device.public_code.lower().replace("-", ""))
    expect(page).to_have_url(f"{live_server.url}/e/{device.public_code}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("HP EliteBook 840 G3")


@pytest.mark.submits(
    "parc:scan_batch_start", "parc:scan_batch", "parc:scan_batch_close", "parc:scan_batch_move_here"
)
def test_an_inventory_of_a_shelf_on_a_phone(live_server, page, workshop, axe_check, screenshot):
    org, technician = workshop
    shelf = StockLocationFactory(organisation=org, name="Étagère B")
    reserve = StockLocationFactory(organisation=org, name="Réserve")
    found = DeviceFactory(owner=org, location=shelf, state=State.READY)
    missing = DeviceFactory(owner=org, location=shelf)
    stray = DeviceFactory(owner=org, location=reserve, brand="Fujitsu", model="Lifebook E548")

    log_in(page, live_server, "/scan/serie/")
    page.get_by_role("radio", name="Faire l'inventaire d'un emplacement").check()
    page.get_by_role("combobox", name="Emplacement").select_option(label="Étagère B")
    page.get_by_role("button", name="Commencer la série").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inventaire : « Étagère B »")
    summary = page.locator("#inventory-summary")
    expect(summary.get_by_role("heading", name="2 manquants")).to_be_visible()

    scanner_types(page, found.public_code)
    expect(page.locator("#scan-lines > li").first).to_contain_text("Vu ici.")
    scanner_types(page, stray.public_code)
    expect(page.locator("#scan-lines > li").first).to_contain_text("enregistré à « Réserve »")
    expect(summary.get_by_role("heading", name="1 manquant")).to_be_visible()
    expect(summary.get_by_role("heading", name="1 trouvé")).to_be_visible()
    expect(summary.get_by_role("heading", name="1 inattendu")).to_be_visible()
    expect(summary.locator(".group-missing")).to_contain_text(missing.public_code)
    assert_no_horizontal_scroll(page)
    axe_check(page, "inventory page")
    screenshot(page, "scan-inventory")

    summary.get_by_role("button", name=f"Déplacer ici : {stray.public_code}").click()
    expect(page.get_by_role("status").first).to_contain_text("est maintenant enregistré à")
    expect(summary.get_by_role("heading", name="2 trouvés")).to_be_visible()
    expect(page.get_by_label("Code de l'étiquette")).to_be_focused()
    page.get_by_role("button", name="Clore l'inventaire").click()
    expect(page.get_by_role("status").first).to_contain_text("Inventaire clos.")
    expect(page.get_by_label("Code de l'étiquette")).to_have_count(0)
    axe_check(page, "closed inventory page")

    assert Device.objects.get(pk=stray.pk).location == shelf
    seen = dict(Device.objects.values_list("pk", "last_seen_at"))
    assert seen[found.pk] and seen[stray.pk] and not seen[missing.pk]
    assert ScanBatch.objects.get().closed_at is not None


def test_batch_mode_works_without_javascript(live_server, browser, workshop):
    org, technician = workshop
    device = DeviceFactory(owner=org)
    context = browser.new_context(**PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, live_server, "/scan/serie/")
        page.get_by_role("radio", name="Commencer le diagnostic").check()
        page.get_by_role("button", name="Commencer la série").click()
        code_input = page.get_by_label("Code de l'étiquette")
        expect(code_input).to_be_focused()  # autofocus, no script needed
        # Controls that need JavaScript stay hidden.
        expect(page.get_by_role("button", name="Scanner avec la caméra")).to_be_hidden()
        expect(page.get_by_role("button", name="Couper le son")).to_be_hidden()
        scanner_types(page, device.public_code)
        expect(page.locator(".message-success")).to_contain_text("En diagnostic")
        expect(page.locator("#scan-lines > li")).to_have_count(1)
        expect(code_input).to_be_focused()
        scanner_types(page, device.public_code)
        expect(page.locator(".message-warning")).to_contain_text("Déjà scanné")
        expect(page.locator("#scan-lines > li").first).to_have_class(
            re.compile("outcome-duplicate")
        )
    finally:
        context.close()
    assert Device.objects.get(pk=device.pk).state == State.TRIAGE


# --- the camera, through Chromium's fake capture device ---------------------------------------


def qr_video(path: Path, text: str, *, width=640, height=480, frames=10) -> Path:
    """A Y4M clip showing one QR code, for --use-file-for-fake-video-capture."""
    matrix = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    matrix.add_data(text)
    matrix.make(fit=True)
    modules = matrix.get_matrix()
    size = len(modules)
    scale = min(width, height) * 9 // 10 // size
    left, top = (width - size * scale) // 2, (height - size * scale) // 2
    luma = bytearray([235]) * (width * height)
    for row, cells in enumerate(modules):
        for column, dark in enumerate(cells):
            if dark:
                for y in range(top + row * scale, top + (row + 1) * scale):
                    start = y * width + left + column * scale
                    luma[start : start + scale] = bytes([16]) * scale
    chroma = bytes([128]) * (width * height // 4)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + bytes(luma) + chroma + chroma)
    return path


def test_the_camera_reads_a_label_with_the_bundled_decoder(
    live_server, browser, workshop, tmp_path
):
    """No native BarcodeDetector on Linux: scan.js loads the vendored ZXing decoder and its
    WebAssembly from our static files, under the page's real Content-Security-Policy."""
    org, technician = workshop
    device = DeviceFactory(owner=org, brand="Apple", model="iPad 7", kind="tablet")
    device_url = f"{live_server.url}/e/{device.public_code}/"
    clip = qr_video(tmp_path / "label.y4m", device_url)
    camera_browser = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={clip}",
        ],
    )
    try:
        context = camera_browser.new_context(**PHONE)  # the site's CSP applies here
        context.grant_permissions(["camera"], origin=live_server.url)
        page = context.new_page()
        errors, violations = [], []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "console",
            lambda message: (
                violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        elsewhere = watch_requests(page, live_server)
        log_in(page, live_server, "/scan/")
        assert page.evaluate("() => 'BarcodeDetector' in window") is False
        page.get_by_role("button", name="Scanner avec la caméra").click()
        expect(page).to_have_url(device_url, timeout=20_000)
        expect(page.get_by_role("heading", level=1)).to_contain_text("iPad 7")
        assert not errors, errors
        assert not violations, violations
        assert not elsewhere, f"requests outside the site: {elsewhere}"
        context.close()
    finally:
        camera_browser.close()
