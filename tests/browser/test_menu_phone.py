"""The site menu on a phone: one « Menu » button instead of a third of the screen; it says
whether the list is open (aria-expanded), opens from the keyboard, closes with Escape and gives
the focus back; on a wide screen the whole menu shows and the button does not."""

import re

import pytest
from playwright.sync_api import expect

from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory

from .test_forms_and_report_phone import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def team_member(transactional_db):
    org = OrganisationFactory(
        name="Recyclerie du Bocage", short_name="RB", is_refurbisher=True, is_prescriber=True
    )
    user = UserFactory(username="ines", first_name="Inès")
    MembershipFactory(user=user, organisation=org, role="staff")
    return user


def test_the_menu_folds_behind_one_button_on_a_phone(live_server, browser, team_member):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="fr-FR"
    )
    page = context.new_page()
    try:
        log_in(page, live_server, "ines")
        button = page.get_by_role("button", name="Menu")
        menu = page.get_by_role("navigation", name="Navigation principale")
        expect(button).to_be_visible()
        expect(button).to_have_attribute("aria-expanded", "false")
        expect(menu.get_by_role("link", name="Appareils")).to_be_hidden()
        # The header is one line: brand and button (the menu took a third of the screen).
        header = page.locator(".site-header").bounding_box()
        assert header["height"] <= 80, header
        # No « Demandes » for a desk: its own requests list was always empty.
        button.focus()
        page.keyboard.press("Enter")
        expect(button).to_have_attribute("aria-expanded", "true")
        expect(menu.get_by_role("link", name="Demandes reçues")).to_be_visible()
        expect(menu.get_by_role("link", name="Demandes", exact=True)).to_have_count(0)
        for link in menu.get_by_role("link").all():
            assert link.bounding_box()["height"] >= 44, link.inner_text()
        page.keyboard.press("Tab")
        expect(menu.get_by_role("link").first).to_be_focused()
        page.keyboard.press("Escape")
        expect(button).to_have_attribute("aria-expanded", "false")
        expect(button).to_be_focused()
        expect(menu.get_by_role("link", name="Appareils")).to_be_hidden()
        button.click()
        menu.get_by_role("link", name="Appareils").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Appareils")
    finally:
        context.close()


def test_the_whole_menu_shows_on_a_wide_screen(live_server, browser, team_member):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR")
    page = context.new_page()
    try:
        log_in(page, live_server, "ines")
        expect(page.get_by_role("button", name="Menu")).to_be_hidden()
        menu = page.get_by_role("navigation", name="Navigation principale")
        expect(menu.get_by_role("link", name="Appareils")).to_be_visible()
        expect(menu.get_by_role("button", name=re.compile("^Se déconnecter"))).to_be_visible()
    finally:
        context.close()
