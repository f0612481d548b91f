"""The kernel: append-only histories (and their one audited redaction), the state guard, the
transition engine's order of checks, background jobs whose worker died, signed links and the
files the application sends."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory
from django.utils import timezone
from openpyxl import load_workbook

from core.errors import ApplicationError, Changed, NotPermitted, Refused
from core.events import AppendOnlyViolation, Redaction, event_models, protected_tables
from core.jobs import JobStatus, fail_stale_jobs, job_status
from core.signing import LinkExpired, LinkInvalid, SignedLink
from core.statemachine import StateChangeWithoutEvent
from documents.responses import csv_response, pdf_response, xlsx_response
from dons import services as dons_services
from dons.models import Donation, DonationEvent, DonationState
from dons.transitions import DONATION
from rapports.models import ReportJob
from tests.acteurs.factories import MembershipFactory, UserFactory
from tests.dons.factories import GisementFactory


@pytest.fixture
def donation(refurbisher, staff):
    donation = dons_services.donation_create(
        GisementFactory(refurbisher=refurbisher).pk, actor=staff, lines={}
    )
    return Donation.objects.get(pk=donation.pk)


@pytest.fixture
def other_staff(other_refurbisher):
    user = UserFactory(username="equipe-ailleurs")
    MembershipFactory(user=user, organisation=other_refurbisher, role="staff")
    return user


# --- append-only histories -------------------------------------------------------------------


def test_event_rows_refuse_update_and_delete_in_python(donation):
    event = donation.events.get()
    with pytest.raises(AppendOnlyViolation):
        DonationEvent.objects.filter(pk=event.pk).update(note="changed")
    with pytest.raises(AppendOnlyViolation):
        DonationEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyViolation):
        event.save()
    with pytest.raises(AppendOnlyViolation):
        event.delete()


def test_the_database_refuses_an_update_sent_around_django(donation):
    event = donation.events.get()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE dons_donationevent SET note = 'x' WHERE id = %s", [event.pk])
    event.refresh_from_db()
    assert event.note == ""


def test_redaction_is_the_one_audited_change(donation, staff):
    dons_services.donation_cancel(donation.pk, staff, note="Mme Garcia 06 11 34 49 89")
    rows = DonationEvent.objects.filter(donation=donation, note__contains="Garcia")
    assert rows.redact(note="", reason="anonymisation du foyer", actor=staff) == 1
    assert not DonationEvent.objects.filter(note__contains="Garcia").exists()
    redaction = Redaction.objects.get()
    assert (redaction.table_name, redaction.rows, redaction.in_progress) == (
        "dons_donationevent",
        1,
        False,
    )
    # Only free text may be redacted, never the facts of the history.
    with pytest.raises(AppendOnlyViolation):
        DonationEvent.objects.filter(donation=donation).redact(action="x", reason="no")


def test_every_event_table_carries_the_trigger(db):
    tables = {model._meta.db_table for model in event_models()}
    # The four histories of the project, at least: a new one is found by event_models().
    assert {
        "dons_donationevent",
        "parc_deviceevent",
        "prets_loanevent",
        "prets_requestevent",
    } <= tables
    assert tables <= set(protected_tables())


def test_action_labels_come_from_the_model(donation):
    assert donation.events.get().action_label == "Don annoncé"


# --- the state guard and the engine ----------------------------------------------------------


def test_state_saved_without_its_event_is_refused(donation):
    Donation.state.field.protected = False
    try:
        donation.state = DonationState.CANCELLED
        with pytest.raises(StateChangeWithoutEvent):
            donation.save()
    finally:
        Donation.state.field.protected = True


def test_refreshing_keeps_the_state_protected_for_other_threads(donation, staff, monkeypatch):
    from django.db import models

    field = Donation._meta.get_field("state")
    seen = []
    original = models.Model.refresh_from_db

    def watching(self, *args, **kwargs):
        seen.append(field.protected)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(models.Model, "refresh_from_db", watching)
    dons_services.donation_cancel(donation.pk, staff, note="annulé")
    donation.refresh_from_db()
    assert seen and all(seen)
    assert donation.state == DonationState.CANCELLED
    # The instance still refuses a direct assignment afterwards.
    with pytest.raises(AttributeError):
        donation.state = DonationState.ANNOUNCED


def test_expected_state_compared_under_the_lock(donation, staff):
    with pytest.raises(Changed) as error:
        DONATION.run(donation.pk, "close", staff, expected_state=DonationState.RECEIVED)
    assert error.value.code == "changed"
    assert "Rechargez la page" in error.value.message


def test_an_outsider_learns_nothing_of_the_state(donation, other_staff):
    # Access is checked before the state: the refusal does not say which state it is in.
    with pytest.raises(NotPermitted) as error:
        DONATION.run(donation.pk, "close", other_staff)
    assert "Annoncé" not in error.value.message
    assert error.value.status == 403


def test_a_transition_from_the_wrong_state_has_a_stable_code(donation, staff):
    with pytest.raises(Refused) as error:
        DONATION.run(donation.pk, "close", staff)
    assert error.value.code == "transition_not_allowed"
    assert isinstance(error.value, ApplicationError)
    assert error.value.as_dict()["message"].startswith("Action « Clore le tri » impossible")


def test_a_transition_writes_its_event_and_state_date(donation, staff):
    event = DONATION.run(
        donation.pk, "receive", staff, received_on=timezone.localdate(), note="arrivé"
    )
    donation.refresh_from_db()
    assert donation.state == DonationState.RECEIVED
    assert (event.source_state, event.target_state, event.note) == (
        "announced",
        "received",
        "arrivé",
    )
    assert event.action_label == "Réceptionné"


# --- background jobs -------------------------------------------------------------------------


@pytest.fixture
def report_job(staff):
    return ReportJob.objects.create(
        requested_by=staff, subject_kind="donation", subject_id=1, title="Rapport", total=10
    )


def test_a_job_whose_worker_died_is_failed_and_can_restart(report_job, settings):
    settings.JOB_HEARTBEAT_TIMEOUT_S = 60
    long_ago = timezone.now() - dt.timedelta(minutes=5)
    ReportJob.objects.filter(pk=report_job.pk).update(
        status=JobStatus.RUNNING, started_at=long_ago, heartbeat_at=long_ago
    )
    assert fail_stale_jobs() == 1
    report_job.refresh_from_db()
    assert report_job.status == JobStatus.FAILED
    assert "interrompu" in report_job.error
    assert report_job.can_restart


def test_a_beating_job_is_left_alone(report_job, settings):
    settings.JOB_HEARTBEAT_TIMEOUT_S = 60
    ReportJob.objects.filter(pk=report_job.pk).update(
        status=JobStatus.RUNNING, started_at=timezone.now() - dt.timedelta(minutes=5)
    )
    report_job.refresh_from_db()
    report_job.beat(3)
    assert fail_stale_jobs() == 0
    report_job.refresh_from_db()
    shown = job_status(report_job)
    assert (shown.status, shown.done) == (JobStatus.RUNNING, 3)


def test_only_a_failed_job_restarts(report_job):
    with pytest.raises(Refused):
        report_job.restart()


# --- signed links ----------------------------------------------------------------------------


def test_signed_links_expire_and_refuse_tampering():
    link = SignedLink(salt="tests.kernel")
    token = link.make({"k": 1})
    assert link.read(token, max_age=dt.timedelta(days=1)) == {"k": 1}
    with pytest.raises(LinkInvalid):
        link.read(token + "x", max_age=dt.timedelta(days=1))
    with pytest.raises(LinkInvalid):
        SignedLink(salt="tests.other").read(token, max_age=dt.timedelta(days=1))
    with pytest.raises(LinkExpired):
        link.read(token, max_age=dt.timedelta(seconds=-1))


# --- files sent ------------------------------------------------------------------------------


def test_file_names_cannot_break_the_header():
    response = pdf_response(b"%PDF", 'rapport "é"\r\nSet-Cookie: x.pdf')
    header = response["Content-Disposition"]
    assert "\n" not in header and "\r" not in header
    assert header.startswith("attachment;")
    assert response["Cache-Control"] == "private, no-store"


def test_csv_and_xlsx_cells_are_neutralised_and_cleaned(tmp_path):
    rows = [["en-tête"], ['=HYPERLINK("x")'], ["bip\x07bip"], [12]]
    body = b"".join(
        part.encode() if isinstance(part, str) else part
        for part in csv_response(rows, "a.csv").streaming_content
    ).decode()
    assert "'=HYPERLINK" in body
    response = xlsx_response([("Feuille", rows)], "a.xlsx", max_rows=10)
    path = tmp_path / "a.xlsx"
    path.write_bytes(b"".join(response.streaming_content))
    response.file_to_stream.close()  # as closing the response does: the spooled file is released
    values = [row[0] for row in load_workbook(path).active.iter_rows(values_only=True)]
    assert values == ["en-tête", '\'=HYPERLINK("x")', "bipbip", 12]


def test_attempt_turns_a_refusal_into_a_message(rf: RequestFactory):
    from django.contrib.messages.storage.fallback import FallbackStorage

    from core.views import attempt

    request = rf.post("/")
    request.session = {}
    request._messages = FallbackStorage(request)

    def refuse():
        raise Refused("Non, pas maintenant.")

    outcome = attempt(request, refuse)
    assert not outcome and outcome.message == "Non, pas maintenant."
    assert [str(m) for m in request._messages] == ["Non, pas maintenant."]
    assert attempt(request, lambda: 3, success="Fait.").value == 3
