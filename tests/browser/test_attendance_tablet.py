"""A facilitator takes attendance on a tablet (820×1180, touch), from the workshop list to
the saved attendance. Real Chromium against the live server; every page visited must pass
axe-core (no serious or critical violation) and fit the screen's width.
"""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ateliers.models import Enrolment
from tests.acteurs.factories import (
    CommuneFactory,
    HouseholdFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.ateliers.factories import EnrolmentFactory, SessionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "motdepasse-test"  # UserFactory's password
TABLET = {
    "viewport": {"width": 820, "height": 1180},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "fr-FR",
    "timezone_id": "Europe/Paris",
}
PEOPLE = ("Mme Martin", "M. Bernard", "Mme Thomas", "M. Nguyen")


@pytest.fixture
def tablet(browser):
    # bypass_csp: axe is injected as an inline script, which the site's CSP blocks (see
    # tests/browser/conftest.py).
    context = browser.new_context(**TABLET, bypass_csp=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the pages: {errors}"


@pytest.fixture
def workshop(transactional_db):
    commune = CommuneFactory()
    association = OrganisationFactory(
        name="Recyclerie numérique", short_name="RN", is_refurbisher=True, commune=commune
    )
    ccas = OrganisationFactory(name="CCAS de Chartres", short_name="CCAS", is_prescriber=True)
    facilitator = UserFactory(username="emilie", first_name="Émilie", last_name="Roux")
    MembershipFactory(user=facilitator, organisation=association, role="facilitator")
    # Begun twenty minutes ago (the wall clock: a browser test), on today's date in Paris.
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    start = max(timezone.now() - timezone.timedelta(minutes=20), midnight)
    session = SessionFactory(
        organisation=association,
        commune=commune,
        facilitator=facilitator,
        title="Premiers pas avec la tablette",
        starts_at=start,
        ends_at=start + timezone.timedelta(hours=2),
        capacity=6,
        accessibility="Salle de plain-pied ; boucle magnétique.",
    )
    enrolments = [
        EnrolmentFactory(session=session, household=HouseholdFactory(organisation=ccas, name=name))
        for name in PEOPLE
    ]
    return session, enrolments


def assert_fits_the_screen(page):
    screen = page.viewport_size["width"]
    widths = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["inner"] <= screen, (
        f"page wider than the {screen}px screen on {page.url}: {widths}"
    )


@pytest.mark.submits("ateliers:attendance")
def test_facilitator_takes_attendance_on_a_tablet(
    live_server, tablet, workshop, axe_check, screenshot
):
    page = tablet
    session, enrolments = workshop
    page.goto(f"{live_server.url}/comptes/login/")
    page.get_by_label("Identifiant").fill("emilie")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    # A facilitator's home shows today's session; the list of sessions is one tap away.
    today = page.get_by_role("region", name="Ateliers")
    expect(today.get_by_role("listitem").first).to_contain_text("Premiers pas avec la tablette")
    expect(today.get_by_role("listitem").first).to_contain_text("4 inscrits sur 6 places")
    axe_check(page, "facilitator's home (tablet)")
    today.get_by_role("link", name="Toutes les séances").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ateliers")
    row = page.get_by_role("row").filter(has_text="Premiers pas avec la tablette")
    expect(row).to_contain_text("4 / 6")
    assert_fits_the_screen(page)
    axe_check(page, "session list (tablet)")
    screenshot(page, "tablet-sessions")

    row.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Premiers pas avec la tablette")
    participants = page.get_by_role("table", name="Foyers inscrits")
    expect(participants.get_by_role("row")).to_have_count(1 + len(PEOPLE))
    assert_fits_the_screen(page)
    axe_check(page, "session page before attendance (tablet)")
    screenshot(page, "tablet-session")

    page.get_by_role("link", name="Faire l'appel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Faire l'appel")
    groups = page.get_by_role("group")
    expect(groups).to_have_count(len(PEOPLE))
    assert_fits_the_screen(page)
    axe_check(page, "attendance form (tablet)")
    # Touch targets are big enough for a finger (>= 44px high).
    box = (
        page.get_by_role("group", name=re.compile("Mme Martin"))
        .locator("label")
        .first.bounding_box()
    )
    assert box["height"] >= 44
    choices = {"Mme Martin": "Présent", "M. Bernard": "Absent", "Mme Thomas": "Excusé"}
    for name, choice in choices.items():
        group = page.get_by_role("group", name=re.compile(name))
        group.get_by_text(choice, exact=True).tap()
        expect(group.get_by_role("radio", name=choice)).to_be_checked()
    # M. Nguyen is left for later.
    axe_check(page, "attendance form, filled (tablet)")
    screenshot(page, "tablet-attendance")
    page.get_by_role("button", name="Enregistrer les présences").tap()

    expect(page.get_by_role("status")).to_have_text("Présences enregistrées (3 modification(s)).")
    expect(page.get_by_role("heading", level=1)).to_have_text("Premiers pas avec la tablette")
    for name, tag in (
        ("Mme Martin", "présent"),
        ("M. Bernard", "absent"),
        ("Mme Thomas", "excusé"),
    ):
        expect(participants.get_by_role("row").filter(has_text=name)).to_contain_text(tag)
    expect(participants.get_by_role("row").filter(has_text="M. Nguyen")).to_contain_text("–")
    assert_fits_the_screen(page)
    axe_check(page, "session page after attendance (tablet)")
    screenshot(page, "tablet-session-after")

    # Reopening the form shows what was recorded; a correction is saved too.
    page.get_by_role("link", name="Faire l'appel").click()
    martin = page.get_by_role("group", name=re.compile("Mme Martin"))
    expect(martin.get_by_role("radio", name="Présent")).to_be_checked()
    page.get_by_role("group", name=re.compile("M. Nguyen")).get_by_text("Présent", exact=True).tap()
    page.get_by_role("button", name="Enregistrer les présences").tap()
    expect(page.get_by_role("status")).to_have_text("Présences enregistrées (1 modification(s)).")

    recorded = dict(
        Enrolment.objects.filter(session=session).values_list("household__name", "attendance")
    )
    assert recorded == {
        "Mme Martin": "present",
        "M. Bernard": "absent",
        "Mme Thomas": "excused",
        "M. Nguyen": "present",
    }
    assert set(
        Enrolment.objects.filter(session=session).values_list("attendance_by__username", flat=True)
    ) == {"emilie"}
