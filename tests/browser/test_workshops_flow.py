"""A facilitator plans a workshop session on a phone, changes it, enrols two households (the
second on the waiting list once the session is full), cancels the first (the second takes the
seat); then records a repair at a repair café, at a desk.

Real Chromium against the live server: the forms are filled and sent as a person does, the
French answer is read on the page and the rows are checked in the database."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ateliers.models import Enrolment, Repair, Session
from tests.acteurs.factories import (
    CommuneFactory,
    HouseholdFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.ateliers.factories import SessionFactory, _workshop_type
from tests.parc.factories import DeviceFactory

from .conftest import log_in, open_menu
from .test_workshop_phone import assert_no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def team(transactional_db):
    chartres = CommuneFactory()
    org = OrganisationFactory(
        name="Recyclerie du Bocage", short_name="RB", is_refurbisher=True, commune=chartres
    )
    facilitator = UserFactory(username="emilie", first_name="Émilie", last_name="Roux")
    MembershipFactory(user=facilitator, organisation=org, role="facilitator")
    _workshop_type("initiation")  # the catalogue, seeded again after the flush
    first = HouseholdFactory(organisation=org, name="Mme Lefebvre", commune=chartres)
    second = HouseholdFactory(organisation=org, name="M. Durand", commune=chartres)
    return org, facilitator, first, second


@pytest.mark.submits(
    "ateliers:session_create", "ateliers:session_edit", "ateliers:enrol", "ateliers:cancel"
)
def test_a_session_planned_changed_filled_and_a_seat_freed_on_a_phone(
    live_server, page, team, axe_check, screenshot
):
    org, facilitator, first, second = team
    log_in(page, live_server.url, "emilie")
    open_menu(page)
    page.get_by_role("navigation").get_by_role("link", name="Ateliers").click()
    page.get_by_role("link", name="Planifier une séance").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("séance")
    axe_check(page, "session form")
    assert_no_horizontal_scroll(page)

    day = timezone.localdate() + dt.timedelta(days=10)
    page.get_by_label("Atelier").select_option(label=_workshop_type("initiation").name)
    page.get_by_label("Intitulé").fill("Premiers pas sur la tablette")
    page.get_by_label("Lieu et adresse").fill("Médiathèque, 2 place des Halles")
    page.get_by_label("Début").fill(f"{day.isoformat()}T14:00")
    # Ends before it starts: the form says so.
    page.get_by_label("Fin", exact=False).last.fill(f"{day.isoformat()}T13:00")
    page.get_by_label("Places").fill("2")
    page.get_by_role("button", name="Créer la séance").click()
    expect(page.get_by_role("alert").first).to_contain_text("La fin doit suivre le début.")
    assert not Session.objects.exists()
    page.get_by_label("Fin", exact=False).last.fill(f"{day.isoformat()}T16:00")
    page.get_by_role("button", name="Créer la séance").click()
    expect(page.get_by_role("status")).to_have_text("Séance créée.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Premiers pas sur la tablette")
    session = Session.objects.get()
    assert session.organisation == org and session.facilitator == facilitator
    assert timezone.localtime(session.starts_at).hour == 14 and session.capacity == 2
    axe_check(page, "session page")
    assert_no_horizontal_scroll(page)

    page.get_by_role("link", name="Modifier la séance").click()
    page.get_by_label("Places").fill("1")
    page.get_by_label("Accessibilité").fill("Accès de plain-pied, boucle magnétique.")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    expect(page.get_by_role("status")).to_have_text("Séance mise à jour.")
    expect(page.get_by_text("Accès de plain-pied, boucle magnétique.")).to_be_visible()
    session.refresh_from_db()
    assert session.capacity == 1

    # One seat: the first household takes it, the second waits.
    page.get_by_label("Foyer à inscrire").select_option(label="Mme Lefebvre")
    page.get_by_role("button", name="Inscrire", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Mme Lefebvre est inscrit.")
    page.get_by_label("Foyer à inscrire").select_option(label="M. Durand")
    page.get_by_role("button", name="Inscrire en liste d'attente").click()
    expect(page.get_by_role("status")).to_contain_text("M. Durand est sur la liste d'attente")
    withdraw = page.get_by_role("button", name="Retirer M. Durand de la liste d'attente")
    expect(withdraw).to_be_visible()
    axe_check(page, "session with a waiting list")
    screenshot(page, "session-waiting-list")

    page.get_by_role("button", name="Annuler l'inscription de Mme Lefebvre").click()
    expect(page.get_by_role("status")).to_have_text(
        "Inscription de Mme Lefebvre annulée. M. Durand quitte la liste d'attente et prend la "
        "place."
    )
    expect(page.get_by_role("row").filter(has_text="M. Durand")).to_be_visible()
    statuses = dict(Enrolment.objects.values_list("household__name", "status"))
    assert statuses == {"Mme Lefebvre": "cancelled", "M. Durand": "confirmed"}
    assert_no_horizontal_scroll(page)


@pytest.mark.submits("ateliers:repair_create")
def test_repairs_are_recorded_one_after_the_other_at_a_repair_cafe(
    live_server, desk_page, team, axe_check
):
    org, facilitator, _first, _second = team
    session = SessionFactory(
        organisation=org,
        facilitator=facilitator,
        workshop_type=_workshop_type("repair_cafe"),
        starts_at=timezone.now() - dt.timedelta(minutes=45),
        commune=org.commune,
    )
    device = DeviceFactory(owner=org, state="on_loan", brand="Lenovo", model="ThinkPad T470")
    page = desk_page
    log_in(page, live_server.url, "emilie")
    page.get_by_role("navigation").get_by_role("link", name="Ateliers").click()
    row = page.get_by_role("row").filter(has_text="Atelier de réparation")
    row.get_by_role("link").first.click()
    page.get_by_role("link", name="Enregistrer une réparation").click()
    axe_check(page, "repair form")

    # An object brought by a neighbour, fixed; then the next one.
    page.get_by_label("Catégorie (ORDS)").select_option(label="Aspirateur")
    page.get_by_label("Marque").fill("Rowenta")
    page.get_by_label("Panne constatée").fill("Ne s'allume plus : fusible remplacé.")
    page.get_by_role("radio", name="Réparé", exact=True).check()
    page.get_by_role("button", name="Enregistrer et saisir le suivant").click()
    expect(page.get_by_role("status")).to_contain_text("Réparation enregistrée")
    expect(page.get_by_label("Marque")).to_have_value("")

    # A laptop of the pool, by its code: end of life, and why.
    page.get_by_label("Code de l'appareil du parc").fill(device.public_code)
    page.get_by_role("radio", name="Fin de vie").check()
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_role("alert").first).to_contain_text(
        "Indiquez ce qui a empêché la réparation."
    )
    page.get_by_label("En fin de vie : ce qui a empêché la réparation").select_option(
        label="Pièces détachées indisponibles"
    )
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Elle figure dans l'historique de l'appareil {device.public_code}."
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text("Atelier de réparation")
    repairs = list(Repair.objects.order_by("id"))
    assert [r.status for r in repairs] == ["Fixed", "End of life"]
    assert repairs[0].brand == "Rowenta" and repairs[1].device == device
    assert repairs[1].barrier == "Spare parts not available"
    assert all(r.session == session for r in repairs)
