"""The record of who read a household's data (acteurs.access_log): every person, every page
and file about a household (one INSERT), list pages as one row per organisation (per household
for an operator), never the query string; the organisation's admins filter it and export one
household's accesses as CSV; it is purged after a year."""

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from acteurs.access_log import purge_old_accesses
from acteurs.models import PersonalDataAccess
from tests.acteurs.factories import (
    HouseholdFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.prets.factories import DeviceRequestFactory, LoanFactory

pytestmark = pytest.mark.django_db


def member(organisation, role, username, **fields):
    user = UserFactory(username=username, **fields)
    MembershipFactory(user=user, organisation=organisation, role=role)
    return user


@pytest.fixture
def world(db):
    ccas = OrganisationFactory(name="CCAS journal", short_name="CJ", is_prescriber=True)
    other = OrganisationFactory(name="Mairie voisine", short_name="MV", is_prescriber=True)
    association = OrganisationFactory(name="Atelier journal", short_name="AJ", is_refurbisher=True)
    prescriber = member(ccas, "prescriber", "paule", first_name="Paule", last_name="Prescri")
    household = HouseholdFactory(
        organisation=ccas, name="Mme Leroy", consent_recorded_by=prescriber
    )
    request = DeviceRequestFactory(
        household=household, refurbisher=association, created_by=prescriber, state="submitted"
    )
    loan = LoanFactory(
        request=DeviceRequestFactory(
            household=household, refurbisher=association, created_by=prescriber, state="fulfilled"
        )
    )
    return {
        "ccas": ccas,
        "other": other,
        "association": association,
        "prescriber": prescriber,
        "admin": member(ccas, "admin", "ccas-admin", first_name="Ada"),
        "staff": member(association, "staff", "ines", first_name="Inès"),
        "other_admin": member(other, "admin", "autre-admin"),
        "household": household,
        "neighbour": HouseholdFactory(organisation=other, name="M. Voisin"),
        "request": request,
        "loan": loan,
    }


def inserts_into_the_log(queries) -> int:
    return sum(
        1
        for q in queries
        if q["sql"].startswith("INSERT") and "acteurs_personaldataaccess" in q["sql"]
    )


def test_every_page_and_file_about_a_household_is_recorded_once(client, world):
    household, prescriber, staff = world["household"], world["prescriber"], world["staff"]
    visits = [
        (prescriber, reverse("www:household", args=[household.pk]), "view", "fiche du foyer"),
        (prescriber, reverse("prets:household", args=[household.pk]), "view", "dossier"),
        (prescriber, reverse("ateliers:household", args=[household.pk]), "view", "ateliers"),
        (prescriber, reverse("household_edit", args=[household.pk]), "view", "modification"),
        (prescriber, reverse("household_export", args=[household.pk]), "export", "export"),
        (staff, reverse("prets:request", args=[world["request"].pk]), "view", "demande n°"),
        (staff, reverse("prets:loan", args=[world["loan"].pk]), "view", "prêt n°"),
        (staff, reverse("prets:agreement", args=[world["loan"].pk]), "export", "convention"),
    ]
    for user, address, action, what in visits:
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(address).status_code == 200, address
        assert inserts_into_the_log(queries.captured_queries) == 1, address
        record = PersonalDataAccess.objects.order_by("-id").first()
        assert (record.user, record.household, record.action) == (user, household, action)
        assert what in record.what and record.page == address
        assert record.organisation == world["ccas"] and not record.by_operator
    # The association's staff read the request of another organisation's household: its
    # admins see it.
    assert PersonalDataAccess.objects.filter(user=staff, organisation=world["ccas"]).count() == 3


def test_a_list_is_one_row_per_organisation_never_its_query(client, world):
    for n in range(3):
        HouseholdFactory(organisation=world["ccas"], name=f"Mme Leroy {n}")
    client.force_login(world["prescriber"])
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("households"), {"q": "Leroy"})
    assert inserts_into_the_log(queries.captured_queries) == 1
    record = PersonalDataAccess.objects.get()
    assert (record.action, record.household, record.households_shown) == ("list", None, 4)
    assert record.page == reverse("households")  # the search (a name) is not kept
    # The association's queue lists households of two organisations: one row each.
    DeviceRequestFactory(
        household=world["neighbour"], refurbisher=world["association"], state="submitted"
    )
    client.force_login(world["staff"])
    client.get(reverse("prets:queue"))
    rows = PersonalDataAccess.objects.filter(user=world["staff"])
    assert {(r.organisation, r.households_shown) for r in rows} == {
        (world["ccas"], 1),
        (world["other"], 1),
    }


def test_an_operators_list_names_each_household(client, world):
    operator = UserFactory(username="op", is_staff=True, is_superuser=True)
    client.force_login(operator)
    client.get(reverse("admin:acteurs_household_changelist"))
    rows = PersonalDataAccess.objects.filter(user=operator)
    assert {r.household for r in rows} == {world["household"], world["neighbour"]}
    assert all(r.by_operator and r.households_shown == 1 for r in rows)


@pytest.fixture
def records(world):
    household, neighbour = world["household"], world["neighbour"]
    other = HouseholdFactory(organisation=world["ccas"], name="M. Autre")
    now = timezone.now()

    def add(user, target, days_ago, what="fiche du foyer"):
        return PersonalDataAccess.objects.create(
            user=user,
            user_label=user.get_full_name() or user.username,
            organisation_id=target.organisation_id,
            household=target,
            action="view",
            what=what,
            page=f"/foyers/{target.pk}/",
            accessed_at=now - dt.timedelta(days=days_ago),
        )

    add(world["prescriber"], household, 1)
    add(world["staff"], household, 40, what="demande n° 7")
    add(world["prescriber"], other, 2)
    add(world["other_admin"], neighbour, 1)
    return {"other": other}


def test_the_admin_filters_by_household_person_and_date(client, world, records):
    client.force_login(world["admin"])
    url = reverse("personal_data_accesses")
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["page"].paginator.count == 3  # not the other organisation's
    by_household = client.get(url, {"foyer": world["household"].pk})
    assert by_household.context["page"].paginator.count == 2
    text = by_household.content.decode()
    assert "Exporter ces accès" in text and "demande n° 7" in text
    by_person = client.get(url, {"personne": "inès"})
    assert [a.user for a in by_person.context["page"]] == [world["staff"]]
    recent = client.get(url, {"du": (timezone.localdate() - dt.timedelta(days=7)).isoformat()})
    assert recent.context["page"].paginator.count == 2
    # Another organisation's household by number shows nothing of it; a bad date is ignored.
    assert client.get(url, {"foyer": world["neighbour"].pk}).context["page"].paginator.count == 3
    assert client.get(url, {"du": "9999-12-31"}).status_code == 200
    client.force_login(world["prescriber"])
    assert client.get(url).status_code == 403


def test_the_accesses_to_one_household_export_as_csv(client, world, records):
    client.force_login(world["admin"])
    url = reverse("personal_data_accesses_csv")
    response = client.get(url, {"foyer": world["household"].pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "no-store" in response["Cache-Control"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:2] == ["Le", "Par"]
    # Its own export is one of the accesses (recorded before the rows are read).
    assert sorted(row[4] for row in rows[1:]) == [
        "demande n° 7",
        "export des accès au dossier (demande d'accès)",
        "fiche du foyer",
    ]
    assert "M. Autre" not in text and "Leroy" not in text
    # The export is itself an access, recorded; another organisation's household is a 404.
    assert PersonalDataAccess.objects.filter(
        user=world["admin"], action="export", household=world["household"]
    ).exists()
    assert client.get(url, {"foyer": world["neighbour"].pk}).status_code == 404
    assert client.get(url).status_code == 404


def test_records_older_than_a_year_are_purged(world, records, settings):
    PersonalDataAccess.objects.filter(household=records["other"]).update(
        accessed_at=timezone.now() - dt.timedelta(days=366)
    )
    assert purge_old_accesses() == 1
    assert not PersonalDataAccess.objects.filter(household=records["other"]).exists()
    settings.ACCESS_LOG_RETENTION_DAYS = 30
    out = io.StringIO()
    call_command("purge_access_log", stdout=out)
    assert "1 trace(s)" in out.getvalue()  # the staff's read 40 days ago
    assert PersonalDataAccess.objects.count() == 2
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"acteurs.purge_access_log", "acteurs.anonymise_households"} <= tasks


def test_the_accesses_page_costs_the_same_for_3_and_30_rows(
    client, world, django_assert_max_num_queries
):
    def add(n):
        PersonalDataAccess.objects.bulk_create(
            PersonalDataAccess(
                user=world["prescriber"],
                user_label="Paule",
                organisation=world["ccas"],
                household=world["household"],
                action="view",
                what="fiche",
                page="/foyers/1/",
            )
            for _ in range(n)
        )

    client.force_login(world["admin"])
    add(3)
    with django_assert_max_num_queries(8):
        client.get(reverse("personal_data_accesses"))
    add(27)
    with django_assert_max_num_queries(8):
        client.get(reverse("personal_data_accesses"))
