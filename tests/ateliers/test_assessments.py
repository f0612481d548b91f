"""Autonomy assessments and progress, on a scenario built by hand so every figure is known."""

import datetime as dt
import html
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ateliers import services
from ateliers.models import Assessment
from ateliers.selectors import progress
from core.errors import ApplicationError
from tests.acteurs.factories import HouseholdFactory
from tests.ateliers.factories import EnrolmentFactory, SessionFactory

from .conftest import workshop_type

# On the tests' calendar (tests/conftest.py: clock), not the wall clock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def levels(*values):
    return {str(domain): level for domain, level in enumerate(values, start=1)}


@pytest.fixture
def scenario(association, facilitator, ccas, other_refurbisher):
    """Four households of an initiation cycle, plus one assessed by another association."""
    today = timezone.localdate()
    start = timezone.now() - timezone.timedelta(days=60)
    session = SessionFactory(
        organisation=association,
        facilitator=facilitator,
        starts_at=start,
        ends_at=start + timezone.timedelta(hours=2),
    )
    people = {name: HouseholdFactory(organisation=ccas, name=name) for name in ("A", "B", "C", "D")}
    for household in people.values():
        EnrolmentFactory(session=session, household=household, attendance="present")

    def assess(name, moment, days_ago, values):
        return services.assessment_record(
            actor=facilitator,
            household_id=people[name].pk,
            moment=moment,
            levels=levels(*values),
            assessed_on=today - dt.timedelta(days=days_ago),
            session_id=session.pk,
        )

    assess("A", "before", 50, (1, 1, 1, 1, 1))
    assess("A", "after", 10, (3, 2, 2, 1, 3))
    assess("B", "before", 50, (2, 1, 1, 2, 1))
    assess("B", "before", 40, (3, 3, 3, 3, 3))  # not the first "before": ignored
    assess("B", "after", 20, (2, 2, 1, 2, 2))  # not the last "after": ignored
    assess("B", "after", 5, (3, 3, 2, 3, 2))
    assess("C", "before", 50, (1, 1, 1, 1, 1))  # no "after": not compared
    assess("D", "after", 5, (3, 3, 3, 3, 3))  # no "before": not compared

    # Another association's participant: not in this association's figures.
    elsewhere = SessionFactory(
        organisation=other_refurbisher, starts_at=start, ends_at=start + timezone.timedelta(hours=1)
    )
    stranger = HouseholdFactory(organisation=ccas, name="E")
    EnrolmentFactory(session=elsewhere, household=stranger)
    for moment, days_ago, value in (("before", 50, 1), ("after", 5, 3)):
        Assessment.objects.create(
            household=stranger,
            organisation=other_refurbisher,
            session=elsewhere,
            moment=moment,
            assessed_on=today - dt.timedelta(days=days_ago),
            assessed_by=facilitator,
        ).levels.create(domain="1", level=value)
    return {"people": people, "today": today, "session": session}


def figures(rows):
    return [
        (r.domain, r.households, r.before, r.after, r.change, r.improved, r.autonomous)
        for r in rows
    ]


D = Decimal


def test_group_progress_per_domain(scenario, association):
    rows = progress(organisation_ids=[association.pk])
    assert figures(rows) == [
        # domain, households, avg before, avg after, change, improved, "en autonomie" after
        ("1", 2, D("1.50"), D("3.00"), D("1.50"), 2, 2),
        ("2", 2, D("1.00"), D("2.50"), D("1.50"), 2, 1),
        ("3", 2, D("1.00"), D("2.00"), D("1.00"), 2, 0),
        ("4", 2, D("1.50"), D("2.00"), D("0.50"), 1, 1),
        ("5", 2, D("1.00"), D("2.50"), D("1.50"), 2, 1),
    ]
    assert [str(r.label) for r in rows][3] == "Protection et sécurité"


def test_group_progress_over_a_period(scenario, association):
    today = scenario["today"]
    # From 45 days ago: A's and B's first "before" fall outside; B's second one counts.
    rows = progress(organisation_ids=[association.pk], start=today - dt.timedelta(days=45))
    assert figures(rows)[0] == ("1", 1, D("3.00"), D("3.00"), D("0.00"), 0, 1)
    assert figures(rows)[2] == ("3", 1, D("3.00"), D("2.00"), D("-1.00"), 0, 0)
    # Until 15 days ago: only B's first "after" is in the period (A's is 10 days ago).
    rows = progress(organisation_ids=[association.pk], end=today - dt.timedelta(days=15))
    assert figures(rows)[0] == ("1", 1, D("2.00"), D("2.00"), D("0.00"), 0, 0)


def test_group_progress_by_workshop_type(scenario, association):
    rows = progress(
        organisation_ids=[association.pk], workshop_type_id=workshop_type("initiation").pk
    )
    assert rows[0].households == 2
    rows = progress(organisation_ids=[association.pk], workshop_type_id=workshop_type("linux").pk)
    assert all(r.households == 0 and r.before is None and r.change is None for r in rows)


def test_one_persons_progress(scenario):
    rows = progress(household_id=scenario["people"]["A"].pk)
    assert [(r.before, r.after, r.change) for r in rows] == [
        (D("1.00"), D("3.00"), D("2.00")),
        (D("1.00"), D("2.00"), D("1.00")),
        (D("1.00"), D("2.00"), D("1.00")),
        (D("1.00"), D("1.00"), D("0.00")),
        (D("1.00"), D("3.00"), D("2.00")),
    ]
    assert all(r.households == 0 for r in progress(household_id=scenario["people"]["C"].pk))


def test_progress_is_one_query(scenario, association, django_assert_num_queries):
    with django_assert_num_queries(1):
        progress(organisation_ids=[association.pk])


def test_the_group_page_shows_the_figures(client, scenario, facilitator):
    client.force_login(facilitator)
    today = scenario["today"]
    response = client.get(
        reverse("ateliers:progress"),
        {"du": (today - dt.timedelta(days=90)).isoformat(), "au": today.isoformat()},
    )
    assert response.status_code == 200
    assert figures(response.context["rows"])[1] == ("2", 2, D("1.00"), D("2.50"), D("1.50"), 2, 1)
    assert "+1,5" in response.content.decode()


def test_the_household_page_shows_its_progress(client, scenario, prescriber):
    client.force_login(prescriber)
    household = scenario["people"]["A"]
    response = client.get(reverse("ateliers:household", args=[household.pk]))
    assert response.status_code == 200
    assert [r.change for r in response.context["progress"]][0] == D("2.00")
    assert len(response.context["assessments"]) == 2


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"1": 1, "2": 1, "3": 1, "4": 1}, "chacun des 5 domaines"),
        ({**levels(1, 1, 1, 1, 1), "6": 1}, "chacun des 5 domaines"),
        (levels(1, 1, 4, 1, 1), "Niveau inconnu"),
    ],
)
def test_incomplete_or_unknown_levels_are_refused(
    started, facilitator, households, values, message
):
    EnrolmentFactory(session=started, household=households[0])
    with pytest.raises(ApplicationError, match=message):
        services.assessment_record(
            actor=facilitator,
            household_id=households[0].pk,
            moment="before",
            levels=values,
            session_id=started.pk,
        )
    assert not Assessment.objects.exists()


def test_a_future_date_or_a_stranger_is_refused(started, facilitator, households, prescriber):
    EnrolmentFactory(session=started, household=households[0])
    with pytest.raises(ApplicationError, match="dans le futur"):
        services.assessment_record(
            actor=facilitator,
            household_id=households[0].pk,
            moment="before",
            levels=levels(1, 1, 1, 1, 1),
            assessed_on=timezone.localdate() + dt.timedelta(days=1),
            session_id=started.pk,
        )
    with pytest.raises(ApplicationError, match="n'est pas inscrit"):
        services.assessment_record(
            actor=facilitator,
            household_id=households[1].pk,
            moment="before",
            levels=levels(1, 1, 1, 1, 1),
            session_id=started.pk,
        )
    with pytest.raises(ApplicationError, match="n'existe pas"):
        services.assessment_record(
            actor=prescriber,
            household_id=households[0].pk,
            moment="before",
            levels=levels(1, 1, 1, 1, 1),
            session_id=started.pk,
        )


def test_the_assessment_form(client, started, facilitator, households):
    EnrolmentFactory(session=started, household=households[0])
    client.force_login(facilitator)
    url = reverse("ateliers:assessment_create", args=[started.pk, households[0].pk])
    assert client.get(url).status_code == 200
    data = {"moment": "before", "assessed_on": timezone.localdate().isoformat()}
    response = client.post(url, data)
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    # A summary at the top lists the five missing levels, each linking to its domain's first
    # choice; the message also stands beside each domain.
    assert "5 erreurs à corriger" in page
    for code in "12345":
        assert f'href="#id_domaine_{code}_0"' in page
    assert page.count("Choisissez un niveau.") == 10
    data.update({f"domaine_{code}": "2" for code in "12345"})
    response = client.post(url, data)
    assert response.status_code == 302
    assessment = Assessment.objects.get()
    assert dict(assessment.levels.values_list("domain", "level")) == levels(2, 2, 2, 2, 2)
    # Not enrolled in this session: back to the session with a message.
    response = client.get(
        reverse("ateliers:assessment_create", args=[started.pk, households[1].pk]), follow=True
    )
    assert "n'est pas inscrite" in html.unescape(response.content.decode())
