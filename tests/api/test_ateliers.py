"""Workshop sessions, enrolments and repairs (ORDS JSON) through the API."""

import pytest
from django.utils import timezone

from ateliers.models import Repair
from ateliers.ords import COLUMNS
from tests.acteurs.factories import HouseholdFactory, MembershipFactory, UserFactory
from tests.ateliers.factories import EnrolmentFactory, SessionFactory, _workshop_type

pytestmark = pytest.mark.django_db


@pytest.fixture
def facilitator(refurbisher):
    user = UserFactory(username="animatrice")
    MembershipFactory(user=user, organisation=refurbisher, role="facilitator")
    return user


@pytest.fixture
def repair_session(refurbisher, facilitator):
    start = timezone.now() - timezone.timedelta(hours=1)
    return SessionFactory(
        organisation=refurbisher,
        workshop_type=_workshop_type("repair_cafe"),
        facilitator=facilitator,
        starts_at=start,
        ends_at=start + timezone.timedelta(hours=3),
    )


def test_sessions_and_enrolments(
    api, facilitator, refurbisher, prescriber, django_assert_max_num_queries
):
    session = SessionFactory(organisation=refurbisher)
    ccas = prescriber.memberships.get().organisation
    mine = EnrolmentFactory(session=session, household=HouseholdFactory(organisation=ccas))
    other = EnrolmentFactory(session=session)
    team = api(facilitator, "read")
    body = team.get("/api/v1/workshops/sessions/").json()
    assert [row["id"] for row in body["results"]] == [session.pk]
    assert body["results"][0]["confirmed_count"] == 2
    assert {
        e["id"] for e in team.get(f"/api/v1/workshops/sessions/{session.pk}/enrolments/").json()
    } == {mine.pk, other.pk}
    # The prescriber sees the session offer and only the enrolments of their households.
    seen = api(prescriber, "read").get(f"/api/v1/workshops/sessions/{session.pk}/enrolments/")
    assert [e["id"] for e in seen.json()] == [mine.pk]
    assert team.get("/api/v1/workshops/sessions/?when=someday").status_code == 400
    assert team.get("/api/v1/workshops/sessions/?workshop_type=knitting").json()["code"] == (
        "unknown_workshop_type"
    )
    for _ in range(3):
        SessionFactory(organisation=refurbisher)
    team.get("/api/v1/workshops/sessions/")
    with django_assert_max_num_queries(4):
        team.get("/api/v1/workshops/sessions/?page_size=2")
    for _ in range(15):
        SessionFactory(organisation=refurbisher)
    with django_assert_max_num_queries(4):
        assert len(team.get("/api/v1/workshops/sessions/?page_size=15").json()["results"]) == 15


def test_sessions_hidden_from_users_without_membership(api, db):
    loner = UserFactory(username="seul")
    SessionFactory()
    assert api(loner, "read").get("/api/v1/workshops/sessions/").json()["count"] == 0


def test_repair_in_and_out_as_ords(api, facilitator, repair_session, outsider):
    client = api(facilitator, "pool", name="tablette café")
    url = f"/api/v1/workshops/sessions/{repair_session.pk}/repairs/"
    response = client.post(
        url,
        {
            "repair_status": "Fixed",
            "product_category_id": 16,
            "brand": "Seb",
            "problem": "Ne chauffe plus",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    record = response.json()
    assert list(record) == list(COLUMNS)
    assert record["repair_status"] == "Fixed" and record["brand"] == "Seb"
    listed = client.get("/api/v1/workshops/repairs/").json()
    assert listed["results"] == [record]
    bad = client.post(url, {"repair_status": "Exploded"}, format="json")
    assert bad.status_code == 400 and "repair_status" in bad.json()["errors"]
    no_category = client.post(url, {"repair_status": "Fixed"}, format="json")
    assert no_category.status_code == 400 and no_category.json()["code"] == "invalid"
    # Every member sees the session offer; only its team records repairs.
    assert api(outsider, "pool").post(url, {"repair_status": "Fixed"}).status_code == 403
    assert api(outsider, "read").get("/api/v1/workshops/repairs/").json()["count"] == 0
    assert Repair.objects.count() == 1
