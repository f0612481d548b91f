"""Forms that help and the funder's report, on a phone, in Chromium: the error summary's
links take the focus to their field, a commune is chosen by name from the keyboard, and the
report offers « Partager » on the first screen with a chart whose labels fit."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from rapports.models import Funding
from tests.acteurs.factories import (
    CommuneFactory,
    DepartementFactory,
    HouseholdFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.ateliers.factories import EnrolmentFactory, SessionFactory
from tests.dons.factories import DonationFactory, GisementFactory
from tests.parc.factories import DeviceFactory, ErasureRecordFactory, StorageMediumFactory

from .test_workshop_phone import PASSWORD, assert_no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/comptes/login/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_label("Mot de passe").press("Enter")
    page.wait_for_load_state()


def focused_id(page) -> str:
    return page.evaluate("() => document.activeElement.id")


@pytest.mark.submits("ateliers:assessment_create")
def test_the_error_summary_takes_the_focus_then_leads_to_each_field(
    live_server, page, axe_check, screenshot
):
    org = OrganisationFactory(name="Recyclerie du Bocage", short_name="RB", is_refurbisher=True)
    facilitator = UserFactory(username="emilie", first_name="Émilie")
    MembershipFactory(user=facilitator, organisation=org, role="facilitator")
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)
    session = SessionFactory(organisation=org, facilitator=facilitator, starts_at=start)
    household = HouseholdFactory(organisation=org, name="Mme Lefebvre")
    EnrolmentFactory(session=session, household=household)

    log_in(page, live_server, "emilie")
    page.goto(f"{live_server.url}/ateliers/seances/{session.pk}/evaluation/{household.pk}/")
    page.get_by_role("button", name="Enregistrer l'évaluation").click()

    summary = page.get_by_role("alert").filter(has_text="6 erreurs à corriger")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # read first, and the keyboard starts there
    links = summary.get_by_role("link")
    expect(links).to_have_count(6)
    axe_check(page, "assessment form with errors")
    screenshot(page, "assessment-errors")

    # From the keyboard: the first link leads to the first choice of « Moment ».
    page.keyboard.press("Tab")
    expect(links.first).to_be_focused()
    page.keyboard.press("Enter")
    assert focused_id(page) == "id_moment_0"
    # A tap on a domain's link: its first level has the focus, so arrows pick the level.
    page.go_back()
    summary.get_by_role("link", name=re.compile("^3. Création de contenu")).click()
    assert focused_id(page) == "id_domaine_3_0"
    page.keyboard.press("ArrowRight")
    assert focused_id(page) == "id_domaine_3_1"
    assert_no_horizontal_scroll(page)


def test_a_commune_is_chosen_by_name_from_the_keyboard(live_server, page, axe_check):
    org = OrganisationFactory(name="Recyclerie du Bocage", short_name="RB", is_refurbisher=True)
    staff = UserFactory(username="ines", first_name="Inès")
    MembershipFactory(user=staff, organisation=org, role="staff")
    eure_et_loir = DepartementFactory(code="28", name="Eure-et-Loir")
    for insee, name, population in (
        ("28085", "Chartres", 38000),
        ("28088", "Châteaudun", 13000),
        ("28089", "Châteauneuf-en-Thymerais", 2500),
    ):
        CommuneFactory(insee_code=insee, name=name, departement=eure_et_loir, population=population)

    log_in(page, live_server, "ines")
    page.goto(f"{live_server.url}/rapports/tableaux-de-bord/feuille-de-route/")
    field = page.get_by_role("combobox", name="Commune")
    field.focus()
    field.press_sequentially("chateau", delay=30)  # no accent typed
    options = page.get_by_role("listbox", name="Communes proposées").get_by_role("option")
    expect(options).to_have_count(2)
    expect(field).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("status").filter(has_text="2 propositions")).to_have_count(1)
    axe_check(page, "roadmap, commune list open")

    field.press("ArrowDown")
    field.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(field).to_have_attribute("aria-activedescendant", "territoire-28089")
    field.press("ArrowUp")
    field.press("Enter")  # chooses, does not send the form
    expect(field).to_have_value("Châteaudun (28088)")
    expect(field).to_have_attribute("aria-expanded", "false")
    assert "commune=" not in page.url

    field.press("Enter")  # the list is closed: now the form is sent
    expect(page).to_have_url(re.compile(r"commune=Ch%C3%A2teaudun\+%2828088%29"))
    expect(page.get_by_text(re.compile(r"– Châteaudun\."))).to_be_visible()

    # Escape closes the list and leaves what was typed.
    field = page.get_by_role("combobox", name="Commune")
    field.fill("")
    field.press_sequentially("char", delay=30)
    expect(options).to_have_count(1)
    field.press("Escape")
    expect(field).to_have_attribute("aria-expanded", "false")
    expect(field).to_have_value("char")


def test_the_funder_shares_from_the_first_screen_of_the_report(
    live_server, page, axe_check, screenshot
):
    refurbisher = OrganisationFactory(
        name="Recyclerie du Bocage", short_name="RB", is_refurbisher=True
    )
    gisement = GisementFactory(refurbisher=refurbisher, name="Parc des agences 2026")
    donation = DonationFactory(
        gisement=gisement, state="received", received_on=dt.date(2026, 1, 10)
    )
    for state in ("triage", "triage", "ready", "on_loan", "recycled"):
        device = DeviceFactory(owner=refurbisher, donation=donation, state=state)
        ErasureRecordFactory(medium=StorageMediumFactory(device=device))
    funder = OrganisationFactory(name="Fondation Numérique", short_name="FN", is_funder=True)
    user = UserFactory(username="bernard", first_name="Bernard")
    MembershipFactory(user=user, organisation=funder, role="funder")
    Funding.objects.create(funder=funder, name="Appel à projets", gisement=gisement)

    log_in(page, live_server, "bernard")
    page.goto(f"{live_server.url}/rapports/gisement/{gisement.pk}/")
    share = page.get_by_role("button", name="Créer le lien")
    expect(page.get_by_role("heading", name="Partager", exact=True)).to_be_in_viewport()
    expect(share).to_be_in_viewport()
    expect(page.get_by_role("link", name="PDF", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="L'essentiel")).to_be_visible()
    assert_no_horizontal_scroll(page)
    axe_check(page, "funder report")
    screenshot(page, "funder-report-top")

    # Every label of the chart lies inside the drawing, as Chromium lays its text out.
    outside = page.evaluate(
        """() => {
          const svg = document.querySelector("svg.chart");
          const width = svg.viewBox.baseVal.width;
          return [...svg.querySelectorAll("text")]
            .map((t) => ({text: t.textContent, box: t.getBBox()}))
            .filter((t) => t.box.x < 0 || t.box.x + t.box.width > width)
            .map((t) => t.text);
        }"""
    )
    assert outside == []
    expect(page.locator("svg.chart")).to_contain_text(
        "en cours (diagnostic, effacement, reconditionnement, retour)"
    )
