"""The home page: each role's work as a queue, its links working, nothing of another
organisation, no personal data for a funder, and a fixed number of queries per role
whatever the size of the data."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from acteurs.models import Role
from parc.models import ScanBatch, ScanLine
from rapports.models import Funding
from rapports.selectors import Period
from rapports.services import shared_link_create
from tests.acteurs.factories import (
    CommuneFactory,
    HouseholdFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.ateliers.factories import SessionFactory
from tests.dons.factories import DonationFactory, GisementFactory
from tests.parc.factories import DeviceFactory
from tests.prets.factories import AllocationFactory, DeviceRequestFactory, LoanFactory

# On the tests' calendar (tests/conftest.py: clock), not the wall clock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

HOME = reverse("www:home")
PLACEHOLDER = "arrivent avec les prochaines versions"


def member(organisation, role, username):
    user = UserFactory(username=username)
    MembershipFactory(user=user, organisation=organisation, role=role)
    return user


def home_of(client, user):
    client.force_login(user)
    response = client.get(HOME)
    assert response.status_code == 200
    return response


def links_work(client, response):
    """Every link of the home's sections opens (no 404, 403 or 500)."""
    content = response.content.decode()
    start = content.index('<div class="home-grid">')
    hrefs = set()
    for chunk in content[start:].split('href="')[1:]:
        href = chunk.split('"', 1)[0].replace("&amp;", "&")
        if href.startswith("/"):
            hrefs.add(href)
    assert hrefs
    for href in sorted(hrefs):
        status = client.get(href).status_code
        assert status in (200, 302), f"{href} answered {status}"


def test_no_placeholder_page_anywhere():
    """The words of the old placeholder are in no template any more."""
    for folder in [
        Path(settings.BASE_DIR) / "templates",
        *Path(settings.BASE_DIR).glob("*/templates"),
    ]:
        for path in folder.rglob("*.html"):
            assert PLACEHOLDER not in path.read_text(), path


# --- the technician ----------------------------------------------------------------------------


@pytest.fixture
def workshop(refurbisher, technician, other_refurbisher):
    for state, count in (("registered", 3), ("triage", 2), ("ready", 1), ("on_loan", 4)):
        DeviceFactory.create_batch(count, owner=refurbisher, state=state)
    DeviceFactory.create_batch(5, owner=other_refurbisher, state="triage")
    batch = ScanBatch.objects.create(
        organisation=refurbisher, user=technician, action="transition", transition="start_triage"
    )
    scanned = DeviceFactory(owner=refurbisher, state="triage")
    ScanLine.objects.create(batch=batch, raw=scanned.public_code, device=scanned, outcome="applied")
    ScanLine.objects.create(batch=batch, raw="FIL-ZZZZ", outcome="unknown")
    return scanned


def test_the_technician_s_home_counts_each_stage_and_lists_their_scans(
    client, technician, workshop
):
    response = home_of(client, technician)
    stages = {stage.state: stage.count for stage in response.context["pool"]["stages"]}
    # Their organisation only (the other one's five in triage are not counted).
    assert stages["registered"] == 3 and stages["triage"] == 3 and stages["ready"] == 1
    assert "on_loan" not in stages  # a household's time, not the workshop's
    content = response.content.decode()
    assert f'href="{reverse("parc:list")}?state=triage&amp;tri=etat"' in content
    assert workshop.public_code in content and "FIL-ZZZZ" in content
    assert response.context["desk"] is None and response.context["funder"] is None
    links_work(client, response)


def test_a_stage_count_opens_the_list_of_those_devices(client, technician, workshop):
    client.force_login(technician)
    page = client.get(reverse("parc:list"), {"state": "registered", "tri": "etat"})
    assert page.context["page"].count == 3


# --- the team --------------------------------------------------------------------------------


@pytest.fixture
def desk(refurbisher, staff):
    ccas = OrganisationFactory(name="CCAS du bureau", is_prescriber=True)
    urgent = DeviceRequestFactory(
        refurbisher=refurbisher,
        state="submitted",
        urgency=2,
        household=HouseholdFactory(organisation=ccas, name="Famille Urgente"),
    )
    DeviceRequestFactory(refurbisher=refurbisher, state="submitted", household__organisation=ccas)
    DeviceRequestFactory.create_batch(
        2, refurbisher=refurbisher, state="approved", device_kind="desktop"
    )
    AllocationFactory(request__refurbisher=refurbisher)  # accepted, device already reserved
    DeviceFactory.create_batch(3, owner=refurbisher, state="ready", kind="laptop")
    today = timezone.localdate()
    overdue = LoanFactory(request__refurbisher=refurbisher, due_on=today - dt.timedelta(days=3))
    soon = LoanFactory(request__refurbisher=refurbisher, due_on=today + dt.timedelta(days=5))
    LoanFactory(request__refurbisher=refurbisher, due_on=today + dt.timedelta(days=60))
    return {"urgent": urgent, "overdue": overdue, "soon": soon}


def test_the_team_s_home_lists_requests_to_answer_supply_and_loans_due(client, staff, desk):
    response = home_of(client, staff)
    work = response.context["desk"]
    assert work.to_answer_count == 2
    assert work.to_answer[0] == desk["urgent"]  # the most urgent first
    balance = {row.kind: (row.waiting, row.ready) for row in work.balance}
    assert balance["desktop"] == (2, 0) and balance["laptop"] == (0, 3)
    assert work.overdue == [desk["overdue"]] and work.overdue_count == 1
    assert work.due_soon == [desk["soon"]] and work.due_soon_count == 1
    content = response.content.decode()
    assert "Ordinateur portable pour Famille Urgente" in content  # the row's title is its link
    assert desk["overdue"].device.public_code in content
    links_work(client, response)


# --- the prescriber ----------------------------------------------------------------------------


@pytest.fixture
def followed(prescriber, refurbisher):
    ccas = prescriber.memberships.get().organisation
    waiting = HouseholdFactory(organisation=ccas, name="Famille Attente")
    DeviceRequestFactory(household=waiting, refurbisher=refurbisher, state="submitted")
    equipped = HouseholdFactory(organisation=ccas, name="Famille Équipée")
    loan = LoanFactory(request__household=equipped, request__refurbisher=refurbisher)
    draft = HouseholdFactory(organisation=ccas, name="Famille Brouillon")
    DeviceRequestFactory(household=draft, refurbisher=refurbisher, state="draft")
    elsewhere = HouseholdFactory(name="Famille Ailleurs")  # another CCAS's household
    DeviceRequestFactory(household=elsewhere, refurbisher=refurbisher, state="submitted")
    return {"loan": loan, "elsewhere": elsewhere}


def test_the_prescriber_s_home_shows_their_households_with_request_and_loan(
    client, prescriber, followed
):
    response = home_of(client, prescriber)
    work = response.context["households"]
    names = [household.name for household, _follow_up in work.households]
    assert sorted(names) == ["Famille Attente", "Famille Brouillon", "Famille Équipée"]
    assert (work.drafts, work.sent, work.approved) == (1, 1, 0)
    content = response.content.decode()
    assert "Famille Ailleurs" not in content
    assert followed["loan"].device.public_code in content
    assert "Envoyée" in content and "Brouillon" in content
    links_work(client, response)


def test_the_prescriber_s_household_list_shows_request_and_loan(client, prescriber, followed):
    client.force_login(prescriber)
    response = client.get(reverse("households"))
    content = response.content.decode()
    assert "Demande et prêt" in content
    assert "Famille Ailleurs" not in content
    loan = followed["loan"]
    assert f'href="{reverse("prets:loan", args=[loan.pk])}"' in content
    assert "en cours, échéance" in content
    assert "Demande : ordinateur portable</a> <span" in content


@pytest.mark.parametrize("households", [2, 12])
def test_household_list_query_budget(
    households, client, prescriber, refurbisher, django_assert_max_num_queries
):
    ccas = prescriber.memberships.get().organisation
    for household in HouseholdFactory.create_batch(households, organisation=ccas):
        LoanFactory(request__household=household, request__refurbisher=refurbisher)
    client.force_login(prescriber)
    client.get(reverse("households"))  # filters kept from here on: a read, no write
    with django_assert_max_num_queries(10):
        client.get(reverse("households"))


# --- the facilitator --------------------------------------------------------------------------


def test_the_facilitator_s_home_shows_today_s_and_the_next_sessions(client, refurbisher):
    facilitator = member(refurbisher, Role.FACILITATOR, "animatrice")
    now = timezone.localtime()
    today_at = now.replace(hour=14, minute=0, second=0, microsecond=0)
    today = SessionFactory(
        organisation=refurbisher, starts_at=today_at, title="Premiers pas du jour"
    )
    later = SessionFactory(
        organisation=refurbisher, starts_at=today_at + dt.timedelta(days=3), title="Plus tard"
    )
    SessionFactory(starts_at=today_at + dt.timedelta(days=1), title="Ailleurs")  # another org
    SessionFactory(
        organisation=refurbisher, starts_at=today_at - dt.timedelta(days=2), title="Passée"
    )
    # Begun before midnight and not over: still today's roll call.
    evening = SessionFactory(
        organisation=refurbisher,
        starts_at=now.replace(hour=0, minute=0, second=0, microsecond=0) - dt.timedelta(hours=1),
        ends_at=now.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(hours=1),
        title="Veillée numérique",
    )
    response = home_of(client, facilitator)
    ahead = response.context["sessions"]
    assert ahead.today == [evening, today] and ahead.next == [later]
    content = response.content.decode()
    assert "Premiers pas du jour" in content and "Passée" not in content
    links_work(client, response)


# --- the funder --------------------------------------------------------------------------------


@pytest.fixture
def funded(refurbisher):
    foundation = OrganisationFactory(name="Fondation test", is_funder=True)
    funder = member(foundation, Role.FUNDER, "fondation")
    gisement = GisementFactory(refurbisher=refurbisher, name="Gisement Mairie")
    Funding.objects.create(funder=foundation, name="Appel à projets 2026", gisement=gisement)
    donation = DonationFactory(gisement=gisement, state="received")
    DeviceFactory.create_batch(3, owner=refurbisher, donation=donation, state="registered")
    household = HouseholdFactory(name="Mme Confidentielle", commune=CommuneFactory())
    LoanFactory(
        request__household=household,
        request__refurbisher=refurbisher,
        device__donation=donation,
        device__serial="SERIE-SECRETE",
    )
    return {"funder": funder, "gisement": gisement}


def test_the_funder_s_home_has_figures_reports_and_links_and_no_personal_data(client, funded):
    funder, gisement = funded["funder"], funded["gisement"]
    from rapports.selectors import subject_for

    link = shared_link_create(funder, subject_for(funder, "gisement", gisement.pk), Period(), 30)
    response = home_of(client, funder)
    home = response.context["funder"]
    assert home.devices == 4 and home.reused == 1
    assert home.households == "< 5"  # one household: shown as "< 5"
    content = response.content.decode()
    assert "Appel à projets 2026" in content and "Gisement Mairie" in content
    assert reverse("rapports:shared", args=[link.token]) in content
    for personal in ("Mme Confidentielle", "SERIE-SECRETE", "FIL-"):
        assert personal not in content
    assert PLACEHOLDER not in content
    links_work(client, response)


def test_a_shared_link_made_on_a_report_page_is_listed_on_its_author_s_home(client, funded):
    funder, gisement = funded["funder"], funded["gisement"]
    client.force_login(funder)
    response = client.post(reverse("rapports:gisement_share", args=[gisement.pk]), {"days": 30})
    assert response.status_code == 200
    home = client.get(HOME)
    (link,) = home.context["funder"].links
    assert link.title == "Gisement Mairie"
    assert link.expires_at.date() == timezone.localdate() + dt.timedelta(days=30)


# --- the coordination -------------------------------------------------------------------------


def test_the_coordination_s_home_shows_the_roadmap_indicators(client):
    departement = OrganisationFactory(name="Département test", is_coordinator=True)
    coordinator = member(departement, Role.ADMIN, "coordination")
    GisementFactory.create_batch(2)
    response = home_of(client, coordinator)
    coordination = response.context["coordination"]
    assert coordination.report.gisements.gisements == 2
    assert coordination.end == timezone.localdate()
    assert "Feuille de route du département" in response.content.decode()
    # The coordinating organisation has no pool nor desk: no empty sections for them.
    assert response.context["pool"] is None and response.context["desk"] is None
    links_work(client, response)


# --- several roles, no role -----------------------------------------------------------------


def test_a_user_with_several_roles_sees_each_section(client, refurbisher, desk, workshop):
    user = member(refurbisher, Role.STAFF, "polyvalente")
    ccas = OrganisationFactory(name="CCAS polyvalent", is_prescriber=True)
    MembershipFactory(user=user, organisation=ccas, role=Role.PRESCRIBER)
    response = home_of(client, user)
    context = response.context
    assert context["desk"] and context["pool"] and context["households"] is not None


def test_a_user_without_organisation_is_told_what_to_do(client):
    response = home_of(client, UserFactory(username="seul"))
    content = response.content.decode()
    assert "aucune organisation" in content and PLACEHOLDER not in content


# --- query budgets: the same number of queries for a small and a bigger world ----------------


def _budget_world(size, refurbisher, staff, technician, prescriber):
    ccas = prescriber.memberships.get().organisation
    for n in range(size):
        household = HouseholdFactory(organisation=ccas)
        DeviceRequestFactory(household=household, refurbisher=refurbisher, state="submitted")
        LoanFactory(
            request__household=HouseholdFactory(organisation=ccas),
            request__refurbisher=refurbisher,
            due_on=timezone.localdate() - dt.timedelta(days=n + 1),
        )
        SessionFactory(organisation=refurbisher)
    DeviceFactory.create_batch(size, owner=refurbisher, state="ready")
    DeviceFactory.create_batch(size, owner=refurbisher, state="triage")


ROLE_BUDGETS = {
    # The session, the user and their memberships, then each section's selectors
    # (www/views/home.py): the pool 2, the desk 9 (with the missed training deadlines), the
    # sessions 2, the households 3 to 6, the
    # funder's figures, reports and links 13, the roadmap indicators 8 (plus the empty pool,
    # desk and households sections an admin of the coordination is checked for).
    "technician": 5,
    "staff": 19,
    "prescriber": 9,
    "facilitator": 5,
    "funder": 16,
    "coordinator": 28,  # + the départements it coordinates, the desk's missed trainings (issue 15)
}


@pytest.mark.parametrize("size", [2, 12])
@pytest.mark.parametrize("role", list(ROLE_BUDGETS))
def test_each_role_s_home_has_a_fixed_query_budget(
    role,
    size,
    client,
    refurbisher,
    staff,
    technician,
    prescriber,
    funded,
    django_assert_max_num_queries,
):
    _budget_world(size, refurbisher, staff, technician, prescriber)
    users = {
        "technician": technician,
        "staff": staff,
        "prescriber": prescriber,
        "facilitator": member(refurbisher, Role.FACILITATOR, "animateur-budget"),
        "funder": funded["funder"],
        "coordinator": member(
            OrganisationFactory(name="Coordination budget", is_coordinator=True),
            Role.ADMIN,
            "coordination-budget",
        ),
    }
    client.force_login(users[role])
    with django_assert_max_num_queries(ROLE_BUDGETS[role]):
        assert client.get(HOME).status_code == 200
