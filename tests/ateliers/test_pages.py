"""The workshop pages as users reach them: lists, week view, session page, scoping, query
budgets, and the reference data behind them (PIX framework, workshop types)."""

import datetime as dt
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from ateliers import pix
from ateliers.models import WorkshopType
from tests.acteurs.factories import HouseholdFactory, UserFactory
from tests.ateliers.factories import EnrolmentFactory, SessionFactory

from .conftest import workshop_type

# On the tests' calendar (tests/conftest.py: clock), not the wall clock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def text(response) -> str:
    return html.unescape(response.content.decode())


# --- reference data ---------------------------------------------------------------------------


def test_the_pix_framework_has_5_domains_and_16_competences():
    assert len(pix.DOMAINS) == 5
    assert len(pix.COMPETENCES) == 16
    assert {pix.domain_of(code) for code, _label in pix.COMPETENCES} == set(pix.DOMAIN_CODES)
    assert [lbl for _c, lbl in pix.Level.choices] == ["avec aide", "sans aide", "en autonomie"]


def test_the_five_workshop_types_are_seeded_with_valid_competences():
    types = {t.code: t for t in WorkshopType.objects.all()}
    assert set(types) == {"initiation", "linux", "securite", "repair_cafe", "maintenance"}
    for workshop in types.values():
        workshop.full_clean()  # the competences validator
        assert workshop.competences
    assert types["repair_cafe"].is_repair and types["maintenance"].is_repair
    assert not types["initiation"].is_repair
    assert "4.2" in types["securite"].competences


def test_the_types_page_lists_competences_by_domain(client, prescriber):
    client.force_login(prescriber)
    page = text(client.get(reverse("ateliers:types")))
    assert "Sécurité et cyber-hygiène" in page
    assert "4.2 Protéger les données personnelles et la vie privée" in page


# --- lists ------------------------------------------------------------------------------------


def test_people_without_an_organisation_see_no_workshop(client, db):
    user = UserFactory(username="seul")
    client.force_login(user)
    assert client.get(reverse("ateliers:sessions")).status_code == 403


def test_the_list_shows_upcoming_sessions_by_default_and_past_ones_on_request(
    client, upcoming, started, association, facilitator, prescriber
):
    start = timezone.now() - timezone.timedelta(days=10)
    past = SessionFactory(
        organisation=association,
        facilitator=facilitator,
        title="Séance ancienne",
        starts_at=start,
        ends_at=start + timezone.timedelta(hours=2),
    )
    client.force_login(prescriber)
    response = client.get(reverse("ateliers:sessions"))
    assert [s.pk for s in response.context["page"].object_list] == [started.pk, upcoming.pk]
    response = client.get(reverse("ateliers:sessions"), {"quand": "past"})
    assert [s.pk for s in response.context["page"].object_list] == [past.pk]


def test_the_list_shows_seats_and_waiting_list(client, upcoming, prescriber, households):
    for household in households[:3]:
        EnrolmentFactory(
            session=upcoming,
            household=household,
            status="confirmed" if household != households[2] else "waiting",
        )
    client.force_login(prescriber)
    page = text(client.get(reverse("ateliers:sessions")))
    assert "2 / 2" in page
    assert "+1 en attente" in page


@pytest.mark.parametrize("rows", [3, 30])
def test_session_list_query_budget(
    rows, client, association, facilitator, households, django_assert_max_num_queries
):
    start = timezone.now() + timezone.timedelta(days=1)
    for index in range(rows):
        session = SessionFactory(
            organisation=association,
            facilitator=facilitator,
            starts_at=start + timezone.timedelta(hours=index),
            ends_at=start + timezone.timedelta(hours=index + 1),
        )
        EnrolmentFactory(session=session, household=households[index % 5])
    client.force_login(facilitator)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("ateliers:sessions"))
    assert len(response.context["page"].object_list) == min(rows, 25)


@pytest.mark.parametrize("rows", [3, 30])
def test_session_page_query_budget(
    rows, client, association, facilitator, ccas, django_assert_max_num_queries
):
    session = SessionFactory(organisation=association, facilitator=facilitator, capacity=20)
    for index in range(rows):
        EnrolmentFactory(
            session=session,
            household=HouseholdFactory(organisation=ccas),
            status="confirmed" if index < 20 else "waiting",
        )
    client.force_login(facilitator)
    with django_assert_max_num_queries(7):
        response = client.get(reverse("ateliers:session", args=[session.pk]))
    assert len(response.context["confirmed"]) + len(response.context["waiting"]) == rows


@pytest.mark.parametrize("rows", [3, 30])
def test_week_and_attendance_query_budgets(
    rows, client, association, facilitator, ccas, django_assert_max_num_queries
):
    start = timezone.now() - timezone.timedelta(minutes=5)
    session = SessionFactory(
        organisation=association,
        facilitator=facilitator,
        capacity=40,
        starts_at=start,
        ends_at=start + timezone.timedelta(hours=2),
    )
    for _ in range(rows):
        EnrolmentFactory(session=session, household=HouseholdFactory(organisation=ccas))
    client.force_login(facilitator)
    with django_assert_max_num_queries(5):
        client.get(reverse("ateliers:week"))
    with django_assert_max_num_queries(6):
        response = client.get(reverse("ateliers:attendance", args=[session.pk]))
    assert len(response.context["form"].rows()) == rows


def test_the_week_view(client, association, facilitator, prescriber):
    monday = dt.date(2031, 3, 10)
    for day, hour in ((0, 9), (2, 14), (2, 9), (6, 10)):
        start = timezone.make_aware(
            dt.datetime.combine(monday + dt.timedelta(days=day), dt.time(hour))
        )
        SessionFactory(
            organisation=association,
            facilitator=facilitator,
            starts_at=start,
            ends_at=start + timezone.timedelta(hours=2),
        )
    client.force_login(prescriber)
    response = client.get(reverse("ateliers:week"), {"semaine": "2031-03-13"})
    days = response.context["days"]
    assert days[0][0] == monday
    assert [len(sessions) for _day, sessions in days] == [1, 0, 2, 0, 0, 0, 1]
    assert [timezone.localtime(s.starts_at).hour for s in days[2][1]] == [9, 14]
    page = text(response)
    assert "Semaine du 10 mars au 16 mars 2031" in page
    assert "?semaine=2031-03-03" in page and "?semaine=2031-03-17" in page
    # A bad date falls back on this week rather than failing.
    assert client.get(reverse("ateliers:week"), {"semaine": "demain"}).status_code == 200


# --- the session page and scoping -------------------------------------------------------------


def test_a_prescriber_sees_only_their_own_households_on_a_session(
    client, upcoming, prescriber, other_prescriber, households, other_ccas
):
    EnrolmentFactory(session=upcoming, household=households[0])
    theirs = HouseholdFactory(organisation=other_ccas, name="Foyer du voisin")
    EnrolmentFactory(session=upcoming, household=theirs)
    client.force_login(prescriber)
    page = text(client.get(reverse("ateliers:session", args=[upcoming.pk])))
    assert "Mme Martin" in page
    assert "Foyer du voisin" not in page
    # The enrolment choice offers their households only, minus those already enrolled.
    response = client.get(reverse("ateliers:session", args=[upcoming.pk]))
    offered = list(response.context["enrol_form"].fields["household"].queryset)
    assert offered == sorted(households[1:], key=lambda h: (h.name, h.pk))
    # The team sees everyone.
    client.force_login(upcoming.facilitator)
    page = text(client.get(reverse("ateliers:session", args=[upcoming.pk])))
    assert "Mme Martin" in page and "Foyer du voisin" in page


def test_team_pages_are_404_for_others(client, started, repair_session, prescriber, outsider):
    urls = [
        reverse("ateliers:attendance", args=[started.pk]),
        reverse("ateliers:sheet", args=[started.pk]),
        reverse("ateliers:session_edit", args=[started.pk]),
        reverse("ateliers:repair_create", args=[repair_session.pk]),
    ]
    for user in (prescriber, outsider):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user, url)
            assert client.post(url, {}).status_code == 404, (user, url)


def test_a_missing_session_is_a_404(client, prescriber):
    client.force_login(prescriber)
    assert client.get(reverse("ateliers:session", args=[999999])).status_code == 404


def test_the_session_page_for_the_team(client, started, facilitator, households):
    EnrolmentFactory(session=started, household=households[0], attendance="present")
    client.force_login(facilitator)
    page = text(client.get(reverse("ateliers:session", args=[started.pk])))
    assert "Faire l'appel" in page
    assert "Feuille d'émargement (PDF)" in page
    assert "Évaluer Mme Martin" in page
    assert "présent" in page
    assert "1.1 Mener une recherche" in page


def test_editing_a_session(client, upcoming, facilitator):
    client.force_login(facilitator)
    url = reverse("ateliers:session_edit", args=[upcoming.pk])
    page = client.get(url)
    assert page.status_code == 200
    start = timezone.localtime(upcoming.starts_at)
    response = client.post(
        url,
        {
            "title": "Premiers pas",
            "commune": upcoming.commune_id,
            "address": upcoming.address,
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + timezone.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "facilitator": facilitator.pk,
            "capacity": "12",
            "accessibility": "",
        },
    )
    assert response.status_code == 302
    upcoming.refresh_from_db()
    assert (upcoming.title, upcoming.capacity) == ("Premiers pas", 12)


def test_a_facilitator_s_home_leads_to_the_workshops(client, facilitator):
    client.force_login(facilitator)
    response = client.get(reverse("www:home"))
    assert response.status_code == 200
    assert f'href="{reverse("ateliers:sessions")}"' in response.content.decode()


def test_repair_sessions_take_no_enrolment(client, repair_session, facilitator, prescriber):
    client.force_login(prescriber)
    response = client.get(reverse("ateliers:session", args=[repair_session.pk]))
    assert response.context["enrol_form"] is None
    client.force_login(facilitator)
    page = text(client.get(reverse("ateliers:session", args=[repair_session.pk])))
    assert "Enregistrer une réparation" in page
    assert "Exporter la séance (ORDS, CSV)" in page


def test_workshop_type_lookup(db):
    assert workshop_type("linux").name == "Passer à Linux"


def test_the_catalogue_and_its_migration_agree():
    import importlib

    from ateliers.catalogue import WORKSHOP_TYPES

    migration = importlib.import_module("ateliers.migrations.0002_workshop_types")
    assert migration.WORKSHOP_TYPES == WORKSHOP_TYPES
