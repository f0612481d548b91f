"""Login security on a phone, in real Chromium: the lockout message after the configured
failures, and the second factor of an admin — set up from the QR code page, the recovery codes
shown once, then a code asked at the next login (a recovery code used here)."""

import re
import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory

from .conftest import open_menu
from .test_scan_phone import watch_requests
from .test_workshop_phone import PASSWORD, assert_no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(transactional_db):
    ccas = OrganisationFactory(name="CCAS de Lucé", short_name="CCAS", is_prescriber=True)
    prescriber = UserFactory(username="sophie", first_name="Sophie")
    MembershipFactory(user=prescriber, organisation=ccas, role="prescriber")
    admin = UserFactory(username="claire", first_name="Claire", is_staff=True)
    MembershipFactory(user=admin, organisation=ccas, role="admin")
    return {"prescriber": prescriber, "admin": admin}


def log_in(page, base, username, password=PASSWORD):
    page.goto(f"{base}/comptes/login/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_lockout_message_on_a_phone(live_server, page, people, settings, axe_check, screenshot):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    elsewhere = watch_requests(page, live_server)
    for _ in range(2):
        log_in(page, live_server.url, "sophie", "mauvais")
        expect(page.get_by_role("alert")).to_contain_text("Identifiant ou mot de passe incorrect")
    log_in(page, live_server.url, "sophie", "mauvais")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Trop d'essais de connexion manqués")
    expect(alert).to_contain_text("15 minutes")
    assert_no_horizontal_scroll(page)
    axe_check(page, "lockout message")
    screenshot(page, "login-lockout-phone")
    # The right password now meets the same message, and the session stays closed.
    log_in(page, live_server.url, "sophie")
    expect(page.get_by_role("alert")).to_contain_text("Trop d'essais de connexion manqués")
    expect(page).to_have_url(re.compile(r"/comptes/login/"))
    assert not elsewhere, elsewhere


def _current_code(device) -> str:
    generator = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    generator.time = time.time()
    return f"{generator.token():06d}"


@pytest.mark.submits("logout", "second_factor_enrol", "second_factor_verify")
def test_an_admin_sets_up_and_uses_the_second_factor_on_a_phone(
    live_server, page, people, settings, axe_check, screenshot
):
    settings.SECOND_FACTOR_REQUIRED = True
    elsewhere = watch_requests(page, live_server)
    base = live_server.url
    log_in(page, base, "claire")
    expect(page).to_have_url(re.compile(r"/comptes/securite/double-authentification/"))
    expect(page.get_by_role("heading", name="Activer la double authentification")).to_be_visible()
    qr = page.locator(".otp-qr svg")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] <= page.viewport_size["width"]
    expect(page.locator("#otp-secret")).not_to_be_empty()
    assert_no_horizontal_scroll(page)
    axe_check(page, "second factor set-up")
    screenshot(page, "otp-enrol-phone")

    code_field = page.get_by_label("Code affiché par l'application")
    code_field.fill("000000")
    page.get_by_role("button", name="Activer").click()
    expect(page.locator(".field-error")).to_contain_text("Ce code ne correspond pas")

    device = TOTPDevice.objects.get(user=people["admin"], confirmed=False)
    page.get_by_label("Code affiché par l'application").fill(_current_code(device))
    page.get_by_role("button", name="Activer").click()
    expect(page.get_by_role("heading", name="Codes de secours")).to_be_visible()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    assert_no_horizontal_scroll(page)
    axe_check(page, "recovery codes")
    screenshot(page, "otp-recovery-codes-phone")
    page.get_by_role("link", name="C'est noté, continuer").click()
    expect(page).not_to_have_url(re.compile(r"/comptes/"))

    # Next login: the code is asked; a recovery code works, once.
    open_menu(page)
    page.get_by_role("button", name=re.compile("Se déconnecter")).click()
    log_in(page, base, "claire")
    expect(page).to_have_url(re.compile(r"/comptes/verification/"))
    axe_check(page, "second factor verification")
    screenshot(page, "otp-verify-phone")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Valider").click()
    expect(page).not_to_have_url(re.compile(r"/comptes/"))
    open_menu(page)
    page.get_by_role("button", name=re.compile("Se déconnecter")).click()
    log_in(page, base, "claire")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Valider").click()
    expect(page.locator(".field-error")).to_contain_text("Ce code ne convient pas")
    assert not elsewhere, elsewhere
