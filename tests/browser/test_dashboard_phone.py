"""The pool dashboard on a phone: reached from the menu, charts and tables readable, the stuck
list opens a device page, and no serious or critical axe-core violation."""

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.utils import timezone
from playwright.sync_api import expect

from parc.models import DeviceEvent
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.parc.factories import DeviceFactory

from .conftest import open_menu
from .test_workshop_phone import PASSWORD, assert_no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pool(transactional_db):
    cache.clear()
    org = OrganisationFactory(name="Recyclerie du Bocage", short_name="RB", is_refurbisher=True)
    staff = UserFactory(username="ines", first_name="Inès")
    MembershipFactory(user=staff, organisation=org, role="staff")
    now = timezone.now()
    stuck = None
    for index, (kind, state, days) in enumerate(
        [("laptop", "triage", 45), ("tablet", "ready", 5), ("laptop", "wiped", 12)]
    ):
        device = DeviceFactory(
            owner=org,
            kind=kind,
            state=state,
            grade="B" if state == "ready" else "",
            state_changed_at=now - dt.timedelta(days=days),
        )
        DeviceEvent.objects.create(
            device=device,
            action="register",
            source_state="",
            target_state="registered",
            at=now - dt.timedelta(days=days + 3 + index),
        )
        DeviceEvent.objects.create(
            device=device,
            action="start_triage",
            source_state="registered",
            target_state="triage",
            at=now - dt.timedelta(days=days),
        )
        stuck = stuck or device
    yield stuck
    cache.clear()


def test_staff_reads_the_pool_dashboard_on_a_phone(live_server, page, pool, axe_check, screenshot):
    page.goto(f"{live_server.url}/comptes/login/")
    page.get_by_label("Identifiant").fill("ines")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_label("Mot de passe").press("Enter")

    open_menu(page)
    page.get_by_role("link", name="Tableaux de bord").click()
    page.get_by_role("link", name="Le parc").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord du parc")
    expect(page.get_by_role("img", name="Reçus par semaine")).to_be_visible()
    expect(page.get_by_role("img", name="Temps passé dans chaque étape, en jours")).to_be_visible()
    expect(page.get_by_role("table").first).to_contain_text("En diagnostic")
    assert_no_horizontal_scroll(page)
    axe_check(page, "pool dashboard")
    screenshot(page, "pool-dashboard")

    page.get_by_text("Les flux en tableau").click()
    expect(page.get_by_role("region", name="Flux par semaine")).to_be_visible()
    axe_check(page, "pool dashboard, flows table open")

    page.get_by_role("link", name=pool.public_code).click()
    expect(page).to_have_url(re.compile(rf"/e/{pool.public_code}/$"))
