"""The coordination restarts a failed background job, on a phone and at a desk: the home's
link → the page of failed and stuck jobs → « Relancer » → the job is back in the queue.

Real Chromium against the live server; the page passes axe-core (no serious or critical
violation) and, on the phone, never scrolls sideways and its « Relancer » buttons are tap
targets of at least 44 px.
"""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from parc.models import LabelJob
from rapports.models import ReportJob
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory

from .conftest import PHONE
from .test_home_phone import assert_tap_targets
from .test_workshop_phone import PASSWORD, assert_no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESK = {
    "viewport": {"width": 1280, "height": 900},
    "locale": "fr-FR",
    "timezone_id": "Europe/Paris",
}


@pytest.fixture
def failed_jobs(transactional_db, monkeypatch):
    """Two failed jobs; the queue is a list here (no worker: the job stays « en attente »)."""
    from core import jobs as kernel

    sent = []

    class Queue:
        def delay(self, pk):
            sent.append(pk)

    monkeypatch.setattr(kernel, "_task", lambda name: Queue())
    departement = OrganisationFactory(name="Département d'Eure-et-Loir", is_coordinator=True)
    coordinator = UserFactory(username="claire", first_name="Claire")
    MembershipFactory(user=coordinator, organisation=departement, role="admin")
    org = OrganisationFactory(name="Recyclerie du Bocage", short_name="RB", is_refurbisher=True)
    staff = UserFactory(username="ines", first_name="Inès", last_name="Martin")
    MembershipFactory(user=staff, organisation=org, role="staff")
    labels = LabelJob.objects.create(
        organisation=org,
        requested_by=staff,
        layout="L7160",
        total=240,
        status="failed",
        error=(
            "Le traitement s'est interrompu (le service de traitement s'est arrêté). Relancez-le."
        ),
        finished_at=timezone.now() - dt.timedelta(minutes=5),
        attempts=1,
    )
    report = ReportJob.objects.create(
        requested_by=staff,
        subject_kind="gisement",
        subject_id=1,
        title="Rapport du gisement Renouvellement 2026",
        status="failed",
        error="Le traitement a échoué. Relancez-le.",
        finished_at=timezone.now() - dt.timedelta(minutes=1),
        attempts=1,
    )
    return labels, report, sent


def _retry_journey(context, live_server, failed_jobs, axe_check, screenshot, name, *, phone):
    labels, report, sent = failed_jobs
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/comptes/login/")
    page.get_by_label("Identifiant").fill("claire")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    page.get_by_role("link", name="Traitements en échec ou bloqués").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Traitements en échec ou bloqués")
    expect(page.get_by_text("2 traitements en échec")).to_be_visible()
    expect(page.get_by_text("Rapport du gisement Renouvellement 2026")).to_be_visible()
    expect(page.get_by_text("Format L7160, 240 étiquettes")).to_be_visible()
    axe_check(page, f"failed jobs ({name})")
    if phone:
        assert_no_horizontal_scroll(page)
        assert_tap_targets(page, ".jobs button")
    screenshot(page, f"jobs-{name}")

    page.get_by_role("button", name=f"Relancer : Planche d'étiquettes n° {labels.pk}").click()
    expect(page.get_by_text("Le traitement est relancé : il repart du début.")).to_be_visible()
    expect(page.get_by_text("1 traitement en échec")).to_be_visible()
    expect(page.get_by_text("Format L7160, 240 étiquettes")).to_have_count(0)
    labels.refresh_from_db()
    assert labels.status == "pending" and labels.error == ""
    assert sent == [labels.pk]
    report.refresh_from_db()
    assert report.status == "failed"
    screenshot(page, f"jobs-{name}-relance")
    assert not errors, errors


@pytest.mark.submits("exploitation:job_retry")
def test_the_coordination_restarts_a_failed_job_on_a_phone(
    browser, live_server, failed_jobs, axe_check, screenshot
):
    context = browser.new_context(**PHONE, bypass_csp=True)
    context.set_default_timeout(10_000)
    try:
        _retry_journey(
            context, live_server, failed_jobs, axe_check, screenshot, "phone", phone=True
        )
    finally:
        context.close()


@pytest.mark.submits("exploitation:job_retry")
def test_the_coordination_restarts_a_failed_job_at_a_desk(
    browser, live_server, failed_jobs, axe_check, screenshot
):
    context = browser.new_context(**DESK, bypass_csp=True)
    context.set_default_timeout(10_000)
    try:
        _retry_journey(
            context, live_server, failed_jobs, axe_check, screenshot, "desk", phone=False
        )
    finally:
        context.close()
