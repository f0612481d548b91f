"""Sharing a household's autonomy level with another organisation's facilitators, only with
the household's recorded consent (issue 15, item 3): seen from both organisations' sides,
withdrawn consent hides it again, every read is in the household's access log, and the
permission is checked by the service, not only the page."""

import datetime as dt

import pytest
from django.urls import reverse

from acteurs.models import PersonalDataAccess
from ateliers import selectors, services
from ateliers.models import AutonomySharing
from core.errors import InvalidInput, NotPermitted, Refused
from tests.acteurs.factories import (
    HouseholdFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.ateliers.factories import EnrolmentFactory, SessionFactory

pytestmark = pytest.mark.django_db

SHARED = "Niveau d'autonomie partagé"


@pytest.fixture
def world(association, facilitator, ccas, prescriber):
    household = HouseholdFactory(organisation=ccas, name="Mme Lefèvre", phone="0612345678")
    session = SessionFactory(organisation=association, facilitator=facilitator)
    EnrolmentFactory(session=session, household=household)
    levels_first = dict.fromkeys("12345", 1)
    services.assessment_record(
        actor=prescriber,
        household_id=household.pk,
        moment="before",
        levels=levels_first,
        assessed_on=dt.date(2026, 1, 10),
    )
    # The latest: 2, 2, 3, 1, 2 → 2.0 on average.
    services.assessment_record(
        actor=prescriber,
        household_id=household.pk,
        moment="after",
        levels={"1": 2, "2": 2, "3": 3, "4": 1, "5": 2},
        assessed_on=dt.date(2026, 3, 5),
    )
    return {"household": household, "session": session}


def session_page(client, user, session):
    client.force_login(user)
    response = client.get(reverse("ateliers:session", args=[session.pk]))
    assert response.status_code == 200
    return response.content.decode()


def shared_reads(household):
    return PersonalDataAccess.objects.filter(
        household_id=household.pk, what__startswith="niveau d'autonomie partagé"
    )


def test_without_consent_the_other_organisation_sees_nothing(client, world, facilitator):
    page = session_page(client, facilitator, world["session"])
    assert "Mme Lefèvre" in page  # the enrolment shows the name, as before
    assert SHARED not in page and "2,0 sur 3" not in page
    assert not shared_reads(world["household"]).exists()
    assert selectors.shared_autonomy_levels(facilitator, world["session"], []) == {}


def test_the_prescriber_records_consent_then_the_facilitator_sees_the_level(
    client, world, prescriber, facilitator, association
):
    household = world["household"]
    client.force_login(prescriber)
    page = client.get(reverse("ateliers:household", args=[household.pk])).content.decode()
    assert "Partage du niveau d'autonomie" in page and association.name in page
    # Without the box ticked: nothing recorded.
    url = reverse("ateliers:sharing_add", args=[household.pk])
    client.post(url, {"organisation": association.pk})
    assert not AutonomySharing.objects.exists()
    response = client.post(url, {"organisation": association.pk, "consent": "on"}, follow=True)
    assert "Accord noté" in response.content.decode()
    sharing = AutonomySharing.objects.get()
    assert (sharing.granted_by, sharing.scope, sharing.organisation) == (
        prescriber,
        "autonomy_level",
        association,
    )

    page = session_page(client, facilitator, world["session"])
    assert SHARED in page
    assert "2,0 sur 3 (évaluation du 05/03/2026)" in page
    # Nothing beyond what the enrolment shows: no phone, no assessment detail.
    assert "0612345678" not in page and "06 12 34 56 78" not in page
    (read,) = shared_reads(household)
    assert (read.user_id, read.organisation_id, read.action) == (
        facilitator.pk,
        household.organisation_id,
        "view",
    )
    # The household's organisation sees who recorded it and when.
    client.force_login(prescriber)
    page = client.get(reverse("ateliers:household", args=[household.pk])).content.decode()
    assert "accord noté le" in page and "Retirer l'accord pour" in page


def test_withdrawn_consent_hides_the_level_again(client, world, prescriber, facilitator):
    household = world["household"]
    sharing = services.autonomy_sharing_grant(
        household.pk, world["session"].organisation_id, actor=prescriber
    )
    assert "2,0 sur 3" in session_page(client, facilitator, world["session"])
    client.force_login(prescriber)
    response = client.post(reverse("ateliers:sharing_withdraw", args=[sharing.pk]), follow=True)
    assert "Accord retiré" in response.content.decode()
    sharing.refresh_from_db()
    assert sharing.withdrawn_at is not None and sharing.withdrawn_by == prescriber
    page = session_page(client, facilitator, world["session"])
    assert SHARED not in page and "2,0 sur 3" not in page
    assert shared_reads(household).count() == 1  # the one read while it was shared
    with pytest.raises(Refused):
        services.autonomy_sharing_withdraw(sharing.pk, actor=prescriber)
    # A new consent may be recorded after a withdrawal.
    services.autonomy_sharing_grant(
        household.pk, world["session"].organisation_id, actor=prescriber
    )
    assert "2,0 sur 3" in session_page(client, facilitator, world["session"])


def test_only_the_household_s_organisation_records_or_withdraws(
    client, world, prescriber, facilitator, other_prescriber, association
):
    household = world["household"]
    for someone in (facilitator, other_prescriber):
        with pytest.raises(NotPermitted):
            services.autonomy_sharing_grant(household.pk, association.pk, actor=someone)
        client.force_login(someone)
        response = client.post(
            reverse("ateliers:sharing_add", args=[household.pk]),
            {"organisation": association.pk, "consent": "on"},
        )
        assert response.status_code == 404  # another organisation's household: not disclosed
    assert not AutonomySharing.objects.exists()
    sharing = services.autonomy_sharing_grant(household.pk, association.pk, actor=prescriber)
    for someone in (facilitator, other_prescriber):
        with pytest.raises(NotPermitted):
            services.autonomy_sharing_withdraw(sharing.pk, actor=someone)
        client.force_login(someone)
        client.post(reverse("ateliers:sharing_withdraw", args=[sharing.pk]))
    sharing.refresh_from_db()
    assert sharing.withdrawn_at is None
    # The facilitator's side does not show the form on a household it cannot open.
    client.force_login(facilitator)
    assert client.get(reverse("ateliers:household", args=[household.pk])).status_code == 404


def test_the_consent_names_one_organisation_only(client, world, prescriber, association, ccas):
    household = world["household"]
    third = OrganisationFactory(name="Médiathèque", short_name="MED")
    third_facilitator = UserFactory(username="tiers")
    MembershipFactory(user=third_facilitator, organisation=third, role="facilitator")
    third_session = SessionFactory(organisation=third, facilitator=third_facilitator)
    EnrolmentFactory(session=third_session, household=household)
    services.autonomy_sharing_grant(household.pk, association.pk, actor=prescriber)
    # The third organisation's facilitator has no consent: nothing.
    page = session_page(client, third_facilitator, third_session)
    assert SHARED not in page
    with pytest.raises(Refused) as refused:
        services.autonomy_sharing_grant(household.pk, association.pk, actor=prescriber)
    assert refused.value.code == "sharing_exists"
    with pytest.raises(InvalidInput):
        services.autonomy_sharing_grant(household.pk, ccas.pk, actor=prescriber)
    no_workshops = OrganisationFactory(name="Sans atelier")
    with pytest.raises(InvalidInput):
        services.autonomy_sharing_grant(household.pk, no_workshops.pk, actor=prescriber)


def test_a_household_without_assessment_says_so(client, world, prescriber, facilitator, ccas):
    newcomer = HouseholdFactory(organisation=ccas, name="M. Nouveau")
    EnrolmentFactory(session=world["session"], household=newcomer)
    services.autonomy_sharing_grant(newcomer.pk, world["session"].organisation_id, actor=prescriber)
    page = session_page(client, facilitator, world["session"])
    assert "pas encore évalué" in page


def test_the_household_export_lists_its_consents(world, prescriber):
    from acteurs.personal_data import household_export

    services.autonomy_sharing_grant(
        world["household"].pk, world["session"].organisation_id, actor=prescriber
    )
    exported = household_export(world["household"].pk, prescriber)
    text = str(exported)
    assert "partages_du_niveau" in text


@pytest.mark.parametrize("rows", [3, 30])
def test_session_page_query_budget_with_shared_levels(
    rows, client, association, facilitator, ccas, prescriber, django_assert_max_num_queries
):
    session = SessionFactory(organisation=association, facilitator=facilitator, capacity=40)
    for _ in range(rows):
        household = HouseholdFactory(organisation=ccas)
        EnrolmentFactory(session=session, household=household)
        services.assessment_record(
            actor=prescriber,
            household_id=household.pk,
            moment="before",
            levels=dict.fromkeys("12345", 2),
            assessed_on=dt.date(2026, 1, 10),
        )
        services.autonomy_sharing_grant(household.pk, association.pk, actor=prescriber)
    client.force_login(facilitator)
    # The page's 7, plus the latest assessments and one INSERT into the access log.
    with django_assert_max_num_queries(9):
        response = client.get(reverse("ateliers:session", args=[session.pk]))
    assert response.content.decode().count("2,0 sur 3") == rows


def _started(session):
    from django.utils import timezone

    type(session).objects.filter(pk=session.pk).update(
        starts_at=timezone.now() - dt.timedelta(minutes=30),
        ends_at=timezone.now() + dt.timedelta(minutes=90),
    )


@pytest.mark.parametrize("page", ["attendance", "assessment_create"])
def test_the_roll_call_and_the_assessment_form_show_the_level_with_the_same_consent_check(
    client, world, prescriber, facilitator, page
):
    """Beyond the session page, the facilitator of the other organisation meets the household
    on the roll call and on its assessment form: the shared level shows there too, only with
    an active consent, and each read is in the household's access log."""
    household, session = world["household"], world["session"]
    _started(session)
    args = [session.pk] if page == "attendance" else [session.pk, household.pk]
    url = reverse(f"ateliers:{page}", args=args)
    client.force_login(facilitator)

    body = client.get(url).content.decode()
    assert "Mme Lefèvre" in body
    assert "2,0 sur 3" not in body
    assert not shared_reads(household).exists()

    sharing = services.autonomy_sharing_grant(
        household.pk, session.organisation_id, actor=prescriber
    )
    body = client.get(url).content.decode()
    assert "2,0 sur 3 (évaluation du 05/03/2026)" in body
    assert "0612345678" not in body
    (read,) = shared_reads(household)
    assert read.user_id == facilitator.pk
    assert f"séance n° {session.pk}" in read.what

    services.autonomy_sharing_withdraw(sharing.pk, actor=prescriber)
    body = client.get(url).content.decode()
    assert "2,0 sur 3" not in body
    assert shared_reads(household).count() == 1


def test_the_household_s_own_team_reads_no_shared_level_on_the_roll_call(
    client, association, facilitator, prescriber
):
    """A household of the session's own organisation is not « shared »: its level is the
    organisation's own data, read on its own pages."""
    own = HouseholdFactory(organisation=association, name="M. Durand")
    session = SessionFactory(organisation=association, facilitator=facilitator)
    EnrolmentFactory(session=session, household=own)
    _started(session)
    client.force_login(facilitator)
    body = client.get(reverse("ateliers:attendance", args=[session.pk])).content.decode()
    assert "M. Durand" in body and SHARED not in body
