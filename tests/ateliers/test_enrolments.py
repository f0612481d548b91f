"""Sessions, seats and the waiting list: the rules, whoever calls."""

import html

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ateliers import services
from ateliers.models import Enrolment, EnrolmentStatus, Session
from core.errors import ApplicationError
from tests.acteurs.factories import HouseholdFactory
from tests.ateliers.factories import EnrolmentFactory, SessionFactory

from .conftest import workshop_type

# On the tests' calendar (tests/conftest.py: clock), not the wall clock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def statuses(session):
    return list(
        session.enrolments.order_by("enrolled_at", "id").values_list("household__name", "status")
    )


# --- planning sessions --------------------------------------------------------------------------


def plan(actor, association, commune, **overrides):
    start = timezone.now() + timezone.timedelta(days=3)
    fields = {
        "actor": actor,
        "workshop_type": workshop_type(),
        "organisation": association,
        "commune": commune,
        "address": "Salle A",
        "starts_at": start,
        "ends_at": start + timezone.timedelta(hours=2),
        "facilitator": actor,
        "capacity": 8,
    }
    fields.update(overrides)
    return services.session_create(**fields)


def test_a_session_cannot_start_in_the_past(facilitator, association, commune):
    yesterday = timezone.now() - timezone.timedelta(days=1)
    with pytest.raises(ApplicationError, match="ne peut pas commencer dans le passé"):
        plan(
            facilitator,
            association,
            commune,
            starts_at=yesterday,
            ends_at=yesterday + timezone.timedelta(hours=2),
        )
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"capacity": 0}, "entre 1 et 500"),
        ({"capacity": 501}, "entre 1 et 500"),
        ({"ends_at": "now"}, "La fin de la séance doit suivre son début"),
    ],
)
def test_bad_sessions_are_refused(facilitator, association, commune, overrides, message):
    # "now" is read when the test runs (on its clock), not when the module is collected.
    overrides = {k: timezone.now() if v == "now" else v for k, v in overrides.items()}
    with pytest.raises(ApplicationError, match=message):
        plan(facilitator, association, commune, **overrides)


def test_the_facilitator_must_run_workshops_for_the_organisation(
    facilitator, association, commune, prescriber, technician
):
    with pytest.raises(ApplicationError, match="n'anime pas d'atelier"):
        plan(facilitator, association, commune, facilitator=technician)
    with pytest.raises(ApplicationError, match="ne pouvez pas organiser"):
        plan(prescriber, association, commune, facilitator=facilitator)


def test_the_create_page_refuses_a_past_date_with_a_french_message(
    client, facilitator, association, commune
):
    client.force_login(facilitator)
    start = timezone.localtime() - timezone.timedelta(days=2)
    response = client.post(
        reverse("ateliers:session_create"),
        {
            "workshop_type": workshop_type().pk,
            "organisation": association.pk,
            "commune": commune.pk,
            "address": "Salle A",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + timezone.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "facilitator": facilitator.pk,
            "capacity": "10",
        },
    )
    assert response.status_code == 200
    assert "ne peut pas commencer dans le passé" in response.content.decode()
    assert not Session.objects.exists()


def test_the_create_page_plans_a_session(client, facilitator, association, commune):
    client.force_login(facilitator)
    start = timezone.localtime() + timezone.timedelta(days=2)
    response = client.post(
        reverse("ateliers:session_create"),
        {
            "workshop_type": workshop_type("securite").pk,
            "title": "Arnaques en ligne",
            "organisation": association.pk,
            "commune": commune.pk,
            "address": "Salle A",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + timezone.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "facilitator": facilitator.pk,
            "capacity": "10",
            "accessibility": "Ascenseur",
        },
    )
    session = Session.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ateliers:session", args=[session.pk])
    assert session.display_title == "Arnaques en ligne"
    assert session.created_by == facilitator


# --- seats and the waiting list ---------------------------------------------------------------


def test_seats_then_the_waiting_list_first_come_first_served(upcoming, prescriber, households):
    results = [services.enrol(upcoming.pk, h.pk, actor=prescriber) for h in households[:4]]
    assert [e.status for e in results] == ["confirmed", "confirmed", "waiting", "waiting"]
    assert statuses(upcoming) == [
        ("Mme Martin", "confirmed"),
        ("M. Bernard", "confirmed"),
        ("Mme Thomas", "waiting"),
        ("M. Petit", "waiting"),
    ]


def test_a_cancellation_moves_the_first_in_line_up_and_mails_their_prescriber(
    upcoming, prescriber, households, mailoutbox, django_capture_on_commit_callbacks
):
    first, second, third, fourth = (
        services.enrol(upcoming.pk, h.pk, actor=prescriber) for h in households[:4]
    )
    with django_capture_on_commit_callbacks(execute=True):
        promoted = services.enrolment_cancel(first.pk, actor=prescriber)
    assert promoted.pk == third.pk
    assert statuses(upcoming) == [
        ("Mme Martin", "cancelled"),
        ("M. Bernard", "confirmed"),
        ("Mme Thomas", "confirmed"),
        ("M. Petit", "waiting"),
    ]
    third.refresh_from_db()
    assert third.promoted_at is not None
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [prescriber.email]
    assert "Mme Thomas" in mail.subject
    assert "Une place s'est libérée" in mail.body
    # Cancelling someone on the waiting list frees no seat: nobody moves.
    with django_capture_on_commit_callbacks(execute=True):
        assert services.enrolment_cancel(fourth.pk, actor=prescriber) is None
    assert len(mailoutbox) == 1


def test_no_mail_when_the_transaction_rolls_back(
    upcoming, prescriber, households, mailoutbox, django_capture_on_commit_callbacks
):
    first = services.enrol(upcoming.pk, households[0].pk, actor=prescriber)
    services.enrol(upcoming.pk, households[1].pk, actor=prescriber)
    services.enrol(upcoming.pk, households[2].pk, actor=prescriber)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                services.enrolment_cancel(first.pk, actor=prescriber)
                raise RuntimeError("boom")
        except RuntimeError:
            pass
    assert callbacks == []
    assert mailoutbox == []
    assert statuses(upcoming)[0] == ("Mme Martin", "confirmed")


def test_the_same_household_twice_is_refused_with_a_message(upcoming, prescriber, households):
    services.enrol(upcoming.pk, households[0].pk, actor=prescriber)
    with pytest.raises(ApplicationError, match="Mme Martin est déjà inscrit"):
        services.enrol(upcoming.pk, households[0].pk, actor=prescriber)
    services.enrol(upcoming.pk, households[1].pk, actor=prescriber)
    services.enrol(upcoming.pk, households[2].pk, actor=prescriber)  # waiting
    with pytest.raises(ApplicationError, match="déjà sur la liste d'attente"):
        services.enrol(upcoming.pk, households[2].pk, actor=prescriber)
    assert upcoming.enrolments.count() == 3


def test_the_database_refuses_a_second_active_enrolment(upcoming, households, prescriber):
    EnrolmentFactory(session=upcoming, household=households[0], enrolled_by=prescriber)
    with pytest.raises(IntegrityError), transaction.atomic():
        EnrolmentFactory(
            session=upcoming, household=households[0], enrolled_by=prescriber, status="waiting"
        )


def test_re_enrolling_after_a_cancellation_is_allowed(upcoming, prescriber, households):
    enrolment = services.enrol(upcoming.pk, households[0].pk, actor=prescriber)
    services.enrolment_cancel(enrolment.pk, actor=prescriber)
    again = services.enrol(upcoming.pk, households[0].pk, actor=prescriber)
    assert again.status == "confirmed"
    assert upcoming.enrolments.count() == 2


def test_enrolling_the_same_household_twice_from_the_page_shows_the_message(
    client, upcoming, prescriber, households
):
    client.force_login(prescriber)
    url = reverse("ateliers:enrol", args=[upcoming.pk])
    client.post(url, {"household": households[0].pk})
    # A second tab still shows the household in its list: it posts it again.
    response = client.post(url, {"household": households[0].pk}, follow=True)
    assert response.status_code == 200
    assert "Mme Martin est déjà inscrit à cette séance." in page_text(response)
    assert upcoming.enrolments.count() == 1


def test_the_page_says_when_a_household_goes_on_the_waiting_list(
    client, upcoming, prescriber, households
):
    client.force_login(prescriber)
    url = reverse("ateliers:enrol", args=[upcoming.pk])
    for household in households[:3]:
        response = client.post(url, {"household": household.pk}, follow=True)
    assert "La séance est complète : Mme Thomas est sur la liste d'attente" in (page_text(response))


def test_a_household_of_another_organisation_cannot_be_enrolled(
    client, upcoming, prescriber, other_ccas, households
):
    theirs = HouseholdFactory(organisation=other_ccas, name="Foyer voisin")
    with pytest.raises(ApplicationError, match="n'existe pas"):
        services.enrol(upcoming.pk, theirs.pk, actor=prescriber)
    client.force_login(prescriber)
    response = client.post(
        reverse("ateliers:enrol", args=[upcoming.pk]), {"household": theirs.pk}, follow=True
    )
    assert response.status_code == 200
    assert not upcoming.enrolments.exists()


def test_cancelling_another_organisations_enrolment_is_a_404(
    client, upcoming, other_prescriber, prescriber, households
):
    enrolment = services.enrol(upcoming.pk, households[0].pk, actor=prescriber)
    client.force_login(other_prescriber)
    response = client.post(reverse("ateliers:cancel", args=[enrolment.pk]))
    assert response.status_code == 404
    enrolment.refresh_from_db()
    assert enrolment.status == "confirmed"
    with pytest.raises(ApplicationError, match="n'existe pas"):
        services.enrolment_cancel(enrolment.pk, actor=other_prescriber)


def test_the_workshop_team_may_cancel_any_enrolment_of_its_session(
    upcoming, prescriber, facilitator, households
):
    enrolment = services.enrol(upcoming.pk, households[0].pk, actor=prescriber)
    services.enrolment_cancel(enrolment.pk, actor=facilitator)
    enrolment.refresh_from_db()
    assert enrolment.status == "cancelled"
    assert enrolment.cancelled_by == facilitator


def test_no_cancellation_once_the_session_has_started(started, prescriber, households):
    enrolment = EnrolmentFactory(session=started, household=households[0], enrolled_by=prescriber)
    with pytest.raises(ApplicationError, match="absent ou excusé"):
        services.enrolment_cancel(enrolment.pk, actor=prescriber)


def test_no_enrolment_once_the_session_is_over(association, facilitator, prescriber, households):
    start = timezone.now() - timezone.timedelta(days=2)
    past = SessionFactory(
        organisation=association,
        facilitator=facilitator,
        starts_at=start,
        ends_at=start + timezone.timedelta(hours=2),
    )
    with pytest.raises(ApplicationError, match="les inscriptions sont closes"):
        services.enrol(past.pk, households[0].pk, actor=prescriber)


def test_no_enrolment_at_a_repair_cafe(repair_session, prescriber, households):
    with pytest.raises(ApplicationError, match="venez avec l'objet"):
        services.enrol(repair_session.pk, households[0].pk, actor=prescriber)


def test_more_seats_move_the_waiting_list_up_fewer_than_taken_is_refused(
    upcoming, prescriber, facilitator, households
):
    for household in households[:4]:
        services.enrol(upcoming.pk, household.pk, actor=prescriber)
    services.session_update(upcoming.pk, actor=facilitator, capacity=3)
    assert [s for _n, s in statuses(upcoming)] == ["confirmed"] * 3 + ["waiting"]
    with pytest.raises(ApplicationError, match="3 foyers sont déjà inscrits"):
        services.session_update(upcoming.pk, actor=facilitator, capacity=2)
    upcoming.refresh_from_db()
    assert upcoming.capacity == 3


def test_a_session_cannot_be_moved_into_the_past(upcoming, facilitator):
    with pytest.raises(ApplicationError, match="dans le passé"):
        services.session_update(
            upcoming.pk,
            actor=facilitator,
            starts_at=timezone.now() - timezone.timedelta(hours=1),
            ends_at=timezone.now() + timezone.timedelta(hours=1),
        )


def test_enrolment_counts_as_a_contact(upcoming, prescriber, households):
    household = households[0]
    household.__class__.objects.filter(pk=household.pk).update(
        last_contact_at=timezone.now() - timezone.timedelta(days=500)
    )
    services.enrol(upcoming.pk, household.pk, actor=prescriber)
    household.refresh_from_db()
    assert timezone.now() - household.last_contact_at < timezone.timedelta(minutes=1)


def test_only_active_statuses_count_as_enrolled():
    assert {s.value for s in EnrolmentStatus} == {"confirmed", "waiting", "cancelled"}
    assert Enrolment._meta.get_field("status").max_length >= 9
