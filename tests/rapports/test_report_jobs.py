"""The full PDF (report and whole certificate annex) built in the background, with its
progress page, kept for download by the person who asked; refused with a French message
when the annex is too long for a PDF."""

import pytest
from django.urls import reverse
from django.utils import timezone

from rapports import services
from rapports.models import ReportJob

from .conftest import EXPECTED
from .test_gisement_report_exports import pdf_text

pytestmark = pytest.mark.django_db


def test_the_full_pdf_is_built_in_parts_and_kept_for_download(
    client, funder_user, scenario, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(services, "ANNEX_ROWS_PER_PART", 5)  # 14 rows: three parts
    client.force_login(funder_user)
    url = reverse("rapports:gisement_job", args=[scenario["gisement"].pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    job = ReportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "rapports:job", args=[job.pk]
    )
    assert (job.status, job.total, job.done) == (
        "done",
        EXPECTED["annex_total"],
        EXPECTED["annex_total"],
    )

    page = client.get(reverse("rapports:job", args=[job.pk])).content.decode()
    assert "Télécharger le PDF" in page and "hx-get" not in page  # finished: no more polling
    pdf = client.get(reverse("rapports:job_file", args=[job.pk]))
    assert pdf.status_code == 200
    text = pdf_text(b"".join(pdf.streaming_content))
    serials = [
        medium.serial
        for device in scenario["devices"]["laptops_d1"]
        for medium in device.storage_media.all()
    ]
    assert all(serial in text for serial in serials)
    assert "17 appareils reçus dans 2 dons" in text


def test_a_running_job_page_polls_with_htmx_and_shows_its_progress(client, funder_user, scenario):
    job = ReportJob.objects.create(
        requested_by=funder_user,
        subject_kind="gisement",
        subject_id=scenario["gisement"].pk,
        title="Renouvellement 2026",
        total=1000,
        done=250,
        status="running",
        # A worker at work beats (core.jobs): without a sign of life the job is dead.
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    client.force_login(funder_user)
    page = client.get(reverse("rapports:job", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert '<progress id="job-bar" max="1000" value="250">25 %</progress>' in page
    fragment = client.get(reverse("rapports:job", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert fragment.content.decode().lstrip().startswith('<div id="job-progress"')
    assert client.get(reverse("rapports:job_file", args=[job.pk])).status_code == 404


def test_someone_elses_job_is_a_404(client, funder_user, other_funder_user, scenario):
    job = ReportJob.objects.create(
        requested_by=funder_user,
        subject_kind="gisement",
        subject_id=scenario["gisement"].pk,
        title="x",
        status="done",
    )
    client.force_login(other_funder_user)
    assert client.get(reverse("rapports:job", args=[job.pk])).status_code == 404
    assert client.get(reverse("rapports:job_file", args=[job.pk])).status_code == 404


def test_an_annex_too_long_for_a_pdf_is_refused_with_a_message(
    client, funder_user, scenario, monkeypatch
):
    monkeypatch.setattr(services, "BACKGROUND_ANNEX_LIMIT", 10)
    client.force_login(funder_user)
    url = reverse("rapports:gisement_job", args=[scenario["gisement"].pk])
    response = client.post(url, follow=True)
    assert "plus lisible" in response.content.decode()
    assert not ReportJob.objects.exists()


def test_an_empty_period_has_nothing_to_build(client, funder_user, scenario):
    client.force_login(funder_user)
    url = reverse("rapports:gisement_job", args=[scenario["gisement"].pk])
    response = client.post(url + "?du=2025-01-01&au=2025-02-01", follow=True)
    assert "Aucun appareil sur cette période" in response.content.decode()
    assert not ReportJob.objects.exists()


def test_a_job_whose_requester_lost_access_fails_instead_of_leaking(funder_user, scenario):
    job = ReportJob.objects.create(
        requested_by=funder_user,
        subject_kind="gisement",
        subject_id=scenario["gisement"].pk,
        title="x",
    )
    funder_user.memberships.all().delete()
    services.run_report_job(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and not job.file
