"""The account's API pages on a phone: an admin creates an agent token (shown once, copied
from a field), revokes it, registers a webhook and reads its secret; no serious or critical
axe-core violation, nothing wider than the screen."""

import re

import pytest
from playwright.sync_api import expect

from api.models import ApiToken, Webhook
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory

from .test_workshop_phone import PASSWORD, assert_no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def atelier_admin(transactional_db):
    org = OrganisationFactory(name="Recyclerie du Bocage", short_name="RB", is_refurbisher=True)
    user = UserFactory(username="ines", first_name="Inès")
    MembershipFactory(user=user, organisation=org, role="admin")
    return user


@pytest.mark.submits("login", "api_tokens", "api_token_revoke", "api_webhooks")
def test_agent_token_and_webhook_on_a_phone(
    phone, live_server, atelier_admin, axe_check, screenshot
):
    page = phone.new_page()
    page.goto(f"{live_server.url}/comptes/login/?next=/compte/api/")
    page.get_by_label("Identifiant").fill("ines")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("connecter", re.I)).click()
    expect(page.get_by_role("heading", name="Accès API", exact=True)).to_be_visible()
    axe_check(page, "API tokens page")
    assert_no_horizontal_scroll(page)

    page.get_by_label("Nom du jeton").fill("Clé USB établi 2")
    page.get_by_label(re.compile("agent d'enregistrement")).check()
    page.get_by_label("Atelier de l'agent").select_option(label="Recyclerie du Bocage")
    page.get_by_label("Méthode d'effacement de l'agent").select_option("dodshort")
    page.get_by_role("button", name="Créer le jeton").click()
    field = page.get_by_label("Jeton", exact=True)
    expect(field).to_have_value(re.compile(r"^fil_"))
    clear = field.input_value()
    screenshot(page, "api-token-created")
    axe_check(page, "token created")
    assert_no_horizontal_scroll(page)
    token = ApiToken.objects.get()
    assert token.scope == "agent" and token.nwipe_method == "dodshort"
    assert clear not in token.digest

    page.goto(f"{live_server.url}/compte/api/")
    assert clear not in page.content()
    page.get_by_role("button", name=re.compile("Révoquer")).click()
    expect(page.get_by_text("révoqué", exact=True)).to_be_visible()
    token.refresh_from_db()
    assert token.revoked_at is not None

    page.get_by_role("link", name="Agent d'enregistrement pour l'atelier").click()
    expect(page.get_by_role("link", name="Télécharger filiere_agent.py")).to_be_visible()
    axe_check(page, "agent page")

    page.goto(f"{live_server.url}/compte/api/webhooks/")
    page.get_by_label("Adresse HTTPS du récepteur").fill("https://logiciel.example/filiere")
    page.get_by_label("un appareil est déclaré disponible").check()
    page.get_by_role("button", name="Enregistrer").click()
    webhook = Webhook.objects.get()
    expect(page.get_by_text(webhook.secret)).to_be_visible()
    expect(page.get_by_text("t=HORODATAGE,v1=SIGNATURE", exact=False)).to_be_visible()
    expect(page.get_by_text("un appareil est déclaré disponible")).to_be_visible()
    axe_check(page, "webhook page")
    assert_no_horizontal_scroll(page)
    screenshot(page, "api-webhook")
