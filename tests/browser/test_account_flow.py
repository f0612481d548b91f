"""The account's forms, in Chromium:

- an administrator, at a desk, turns the second factor on (a real TOTP code), renews the
  recovery codes, turns it off, changes the password, then — logged out — forgets it and
  chooses a new one through the e-mailed link;
- she deletes a webhook, on a phone;
- a report whose full PDF failed is restarted from its page, on a small phone;
- a superuser runs a device's transition from the Django admin's button.

Every form is sent as a person sends it; the French answer is read on the page and the rows
are checked in the database."""

import re
import time

import pytest
from django.contrib.auth import get_user_model
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from api.models import Webhook
from parc.models import Device, DeviceEvent
from rapports.models import ReportJob
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.dons.factories import GisementFactory
from tests.parc.factories import DeviceFactory

from .conftest import log_in, open_menu
from .test_workshop_phone import assert_no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Crayon-Violet-2026"
RESET_PASSWORD = "Tortue-Rapide-2027"


@pytest.fixture
def claire(transactional_db):
    org = OrganisationFactory(name="Recyclerie du Bocage", short_name="RB", is_refurbisher=True)
    user = UserFactory(
        username="claire", first_name="Claire", last_name="Dubois", email="claire@example.org"
    )
    MembershipFactory(user=user, organisation=org, role="admin")
    return org, user


def _current_code(device) -> str:
    generator = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    generator.time = time.time()
    return f"{generator.token():06d}"


@pytest.mark.submits(
    "second_factor_enrol",
    "recovery_codes_renew",
    "second_factor_disable",
    "password_change",
    "password_reset",
    "password_reset_confirm",
)
def test_second_factor_on_and_off_then_the_password_changed_and_reset_at_a_desk(
    live_server, desk_page, claire, mailoutbox, axe_check
):
    _org, user = claire
    page = desk_page
    base = live_server.url
    log_in(page, base, "claire")
    page.get_by_role("navigation").get_by_role("link", name="Mon compte").click()

    # The second factor, on.
    page.get_by_role("link", name="Activer la double authentification").click()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page.get_by_label("Code affiché par l'application").fill(_current_code(device))
    page.get_by_role("button", name="Activer").click()
    expect(page.get_by_role("status")).to_have_text("La double authentification est activée.")
    first_codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(first_codes) == 10
    page.get_by_role("link", name="C'est noté, continuer").click()

    # New recovery codes replace the first ones.
    page.goto(f"{base}/comptes/securite/")
    axe_check(page, "account page, second factor on")
    page.get_by_role("button", name="Obtenir de nouveaux codes de secours").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Codes de secours")
    new_codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(new_codes) == 10 and not set(new_codes) & set(first_codes)
    page.get_by_role("link", name="C'est noté, continuer").click()

    # Off.
    page.get_by_role("button", name="Désactiver la double authentification").click()
    expect(page.get_by_role("status")).to_have_text("Double authentification désactivée.")
    assert not TOTPDevice.objects.filter(user=user).exists()
    expect(page.get_by_role("link", name="Activer la double authentification")).to_be_visible()

    # The password, changed.
    page.get_by_role("link", name="Changer mon mot de passe").click()
    axe_check(page, "password change form")
    page.get_by_label("Ancien mot de passe").fill("motdepasse-test")
    page.get_by_label("Nouveau mot de passe", exact=False).first.fill(NEW_PASSWORD)
    page.get_by_label(re.compile("Confirmation")).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Changer le mot de passe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mot de passe changé")
    assert get_user_model().objects.get(pk=user.pk).check_password(NEW_PASSWORD)

    # Logged out, forgotten: the e-mailed link.
    open_menu(page)
    page.get_by_role("button", name=re.compile("Se déconnecter")).click()
    page.goto(f"{base}/comptes/login/")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    axe_check(page, "password reset form")
    page.get_by_role("textbox").last.fill("claire@example.org")
    page.get_by_role("button", name="Recevoir le lien").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lien envoyé")
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["claire@example.org"]
    link = re.search(r"https?://\S+/comptes/reset/\S+/", mailoutbox[0].body).group(0)
    page.goto(base + "/" + link.split("/", 3)[3])
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouveau mot de passe")
    axe_check(page, "password reset confirm form")
    page.get_by_label("Nouveau mot de passe", exact=False).first.fill(RESET_PASSWORD)
    page.get_by_label(re.compile("Confirmation")).fill(RESET_PASSWORD)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mot de passe changé")
    page.get_by_role("link", name="Se connecter").click()
    page.get_by_label("Identifiant").fill("claire")
    page.get_by_label("Mot de passe").fill(RESET_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Claire")


@pytest.mark.submits("api_webhook_delete")
def test_a_webhook_is_deleted_on_a_phone(live_server, page, claire, axe_check):
    org, user = claire
    webhook = Webhook.objects.create(
        organisation=org,
        url="https://logiciel.example/filiere",
        events=["device.ready"],
        secret="s" * 32,
        created_by=user,
    )
    log_in(page, live_server.url, "claire")
    page.get_by_role("link", name="Accès API et agent").click()
    page.get_by_role("link", name="Webhooks (administrateurs)").click()
    page.get_by_role("link", name="https://logiciel.example/filiere").click()
    axe_check(page, "webhook page")
    assert_no_horizontal_scroll(page)
    page.get_by_role("button", name="Supprimer ce webhook").click()
    expect(page.get_by_role("status")).to_have_text("Webhook supprimé.")
    expect(page.get_by_role("link", name="https://logiciel.example/filiere")).to_have_count(0)
    assert not Webhook.objects.filter(pk=webhook.pk).exists()


@pytest.mark.submits("rapports:job_restart")
def test_a_failed_report_is_restarted_on_a_small_phone(
    live_server, small_phone_page, claire, monkeypatch, axe_check
):
    from core import jobs as kernel

    sent = []

    class Queue:
        def delay(self, pk):
            sent.append(pk)

    monkeypatch.setattr(kernel, "_task", lambda name: Queue())
    org, user = claire
    gisement = GisementFactory(refurbisher=org, name="Renouvellement 2026")
    job = ReportJob.objects.create(
        requested_by=user,
        subject_kind="gisement",
        subject_id=gisement.pk,
        title="Rapport du gisement Renouvellement 2026",
        status="failed",
        error="Le traitement a échoué. Relancez-le.",
        attempts=1,
    )
    page = small_phone_page
    log_in(page, live_server.url, "claire")
    page.goto(f"{live_server.url}/rapports/travaux/{job.pk}/")
    expect(page.get_by_text("Le traitement a échoué. Relancez-le.")).to_be_visible()
    # It failed before counting its lines: no « 0 sur 0 (100 %) ».
    expect(page.get_by_text(re.compile(r"sur 0 \("))).to_have_count(0)
    assert_no_horizontal_scroll(page)
    axe_check(page, "failed report job")
    page.get_by_role("button", name="Relancer").click()
    expect(page.get_by_role("button", name="Relancer")).to_have_count(0)
    job.refresh_from_db()
    assert job.status == "pending" and job.error == "" and sent == [job.pk]


@pytest.mark.submits("admin:parc_device_change")
def test_a_superuser_runs_a_transition_from_the_admin_button(
    live_server, desk_page, claire, axe_check
):
    org, _user = claire
    UserFactory(username="root", first_name="Root", is_staff=True, is_superuser=True)
    device = DeviceFactory(owner=org, brand="Lenovo", model="ThinkPad T470")
    page = desk_page
    log_in(page, live_server.url, "root")
    page.goto(f"{live_server.url}/admin/parc/device/{device.pk}/change/")
    page.get_by_role("button", name="Commencer le diagnostic").click()
    expect(page.locator(".messagelist")).to_contain_text("Action effectuée.")
    assert Device.objects.get(pk=device.pk).state == "triage"
    event = DeviceEvent.objects.get(device=device)
    assert (event.action, event.actor.username) == ("start_triage", "root")
