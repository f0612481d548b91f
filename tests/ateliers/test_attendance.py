"""Attendance (only once a session has started), the attendance sheet, and the question the
loan issue asks: has this household attended this kind of workshop?"""

import datetime as dt
import html
import io

import pypdfium2
import pytest
from django.urls import reverse
from django.utils import timezone

from ateliers import services
from ateliers.models import Enrolment
from ateliers.selectors import household_attended
from core.errors import ApplicationError
from tests.acteurs.factories import HouseholdFactory
from tests.ateliers.factories import EnrolmentFactory, SessionFactory

from .conftest import workshop_type

# On the tests' calendar (tests/conftest.py: clock), not the wall clock.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def pdf_text(content: bytes) -> str:
    pdf = pypdfium2.PdfDocument(io.BytesIO(content))
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()


@pytest.fixture
def enrolled(started, households, prescriber):
    return [
        EnrolmentFactory(session=started, household=household, enrolled_by=prescriber)
        for household in households[:3]
    ]


def test_attendance_is_refused_before_the_session_starts(upcoming, facilitator, households):
    enrolment = EnrolmentFactory(session=upcoming, household=households[0])
    with pytest.raises(ApplicationError, match="n'a pas encore commencé"):
        services.attendance_record(upcoming.pk, actor=facilitator, marks={enrolment.pk: "present"})
    enrolment.refresh_from_db()
    assert enrolment.attendance == ""


def test_the_attendance_page_of_a_future_session_explains(client, upcoming, facilitator):
    client.force_login(facilitator)
    response = client.get(reverse("ateliers:attendance", args=[upcoming.pk]), follow=True)
    assert response.status_code == 200
    assert "n'a pas encore commencé" in html.unescape(response.content.decode())


def test_the_facilitator_takes_attendance(client, started, enrolled, facilitator, households):
    martin, bernard, thomas = enrolled
    client.force_login(facilitator)
    url = reverse("ateliers:attendance", args=[started.pk])
    page = client.get(url)
    assert [e.household.name for e, _f in page.context["form"].rows()] == [
        "Mme Martin",
        "M. Bernard",
        "Mme Thomas",
    ]
    response = client.post(
        url,
        {
            f"presence_{martin.pk}": "present",
            f"presence_{bernard.pk}": "absent",
            f"presence_{thomas.pk}": "excused",
        },
    )
    assert response.status_code == 302
    assert list(
        Enrolment.objects.filter(session=started)
        .order_by("id")
        .values_list("attendance", "attendance_by__username")
    ) == [("present", "animatrice"), ("absent", "animatrice"), ("excused", "animatrice")]
    # Present counts as a contact with the household, absent does not.
    households[0].refresh_from_db()
    assert timezone.now() - households[0].last_contact_at < timezone.timedelta(minutes=1)
    # A correction later on changes only the row that changed.
    assert (
        services.attendance_record(
            started.pk, actor=facilitator, marks={bernard.pk: "present", martin.pk: "present"}
        )
        == 1
    )


def test_unknown_attendance_values_are_refused(client, started, enrolled, facilitator):
    client.force_login(facilitator)
    response = client.post(
        reverse("ateliers:attendance", args=[started.pk]),
        {f"presence_{enrolled[0].pk}": "peut-être"},
    )
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.content.decode()
    with pytest.raises(ApplicationError, match="Présence inconnue"):
        services.attendance_record(started.pk, actor=facilitator, marks={enrolled[0].pk: "??"})


def test_the_waiting_list_and_other_sessions_cannot_be_marked(
    started, facilitator, households, upcoming
):
    waiting = EnrolmentFactory(session=started, household=households[0], status="waiting")
    elsewhere = EnrolmentFactory(session=upcoming, household=households[1])
    for enrolment in (waiting, elsewhere):
        with pytest.raises(ApplicationError, match="Rechargez la page"):
            services.attendance_record(
                started.pk, actor=facilitator, marks={enrolment.pk: "present"}
            )


def test_only_the_workshop_team_takes_attendance(client, started, enrolled, prescriber, outsider):
    with pytest.raises(ApplicationError, match="Seule l'équipe"):
        services.attendance_record(started.pk, actor=prescriber, marks={enrolled[0].pk: "present"})
    for user in (prescriber, outsider):
        client.force_login(user)
        url = reverse("ateliers:attendance", args=[started.pk])
        assert client.get(url).status_code == 404
        response = client.post(url, {f"presence_{enrolled[0].pk}": "present"})
        assert response.status_code == 404
    assert not Enrolment.objects.exclude(attendance="").exists()


def test_the_attendance_sheet_lists_the_participants_with_a_signature_column(
    client, started, enrolled, facilitator, association
):
    client.force_login(facilitator)
    response = client.get(reverse("ateliers:sheet", args=[started.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in (
        "Feuille d'émargement",
        "Initiation : prise en main",
        "Salle du numérique, 3 rue des Écoles",
        association.name,
        "Émilie Roux",
        "Signature",
        "Mme Martin",
        "M. Bernard",
        "Mme Thomas",
        "CCAS",  # who referred them
        "Certifié exact",
    ):
        assert expected in text, expected
    local = timezone.localtime(started.starts_at)
    assert local.strftime("%Y") in text
    assert f"{local:%H}h{local:%M}" in text
    assert "1.1 Mener une recherche" in text  # the PIX competences worked on
    # Names in the order of enrolment, numbered.
    assert text.index("Mme Martin") < text.index("M. Bernard") < text.index("Mme Thomas")


def test_the_attendance_sheet_is_only_for_the_team(client, started, enrolled, prescriber):
    client.force_login(prescriber)
    assert client.get(reverse("ateliers:sheet", args=[started.pk])).status_code == 404


# --- household_attended (for the loan issue) --------------------------------------------------


def past_session(association, facilitator, code, days_ago):
    start = timezone.now() - timezone.timedelta(days=days_ago)
    return SessionFactory(
        workshop_type=workshop_type(code),
        organisation=association,
        facilitator=facilitator,
        starts_at=start,
        ends_at=start + timezone.timedelta(hours=2),
    )


def test_household_attended(association, facilitator, ccas):
    household = HouseholdFactory(organisation=ccas)
    other = HouseholdFactory(organisation=ccas)
    ten_days_ago = past_session(association, facilitator, "initiation", 10)
    EnrolmentFactory(session=ten_days_ago, household=household, attendance="present")
    EnrolmentFactory(session=ten_days_ago, household=other, attendance="absent")
    security = past_session(association, facilitator, "securite", 3)
    EnrolmentFactory(session=security, household=other, attendance="excused")
    today = timezone.localdate()

    assert household_attended(household.pk, "initiation", today - dt.timedelta(days=30))
    assert household_attended(household.pk, "initiation", timezone.now() - dt.timedelta(days=11))
    assert not household_attended(household.pk, "initiation", today - dt.timedelta(days=5))
    assert not household_attended(household.pk, "securite", today - dt.timedelta(days=30))
    # Absent or excused is not "attended"; an unknown type neither.
    assert not household_attended(other.pk, "initiation", today - dt.timedelta(days=30))
    assert not household_attended(other.pk, "securite", today - dt.timedelta(days=30))
    assert not household_attended(household.pk, "no-such-type", today - dt.timedelta(days=30))


def test_household_attended_counts_the_day_itself(association, facilitator, ccas):
    household = HouseholdFactory(organisation=ccas)
    session = past_session(association, facilitator, "initiation", 0)
    EnrolmentFactory(session=session, household=household, attendance="present")
    assert household_attended(household.pk, "initiation", timezone.localdate(session.starts_at))
