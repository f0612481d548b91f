"""Intake of donors' inventory lists: files in each encoding and separator, aliases, the
mapping screen, the preview, duplicates and errors, idempotence, atomicity, background work,
scoping and query budgets. Fixture files: tests/fixtures/intake/ (make_fixtures.py)."""

import csv
import io
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from openpyxl import Workbook

from core.jobs import JobStatus
from documents.spreadsheets import csv_lines, neutralise
from dons.models import Donation, Gisement
from intake import analysis, cleaning, columns, errors, reading, selectors, services
from intake.models import ImportJob, ImportOutcome, ImportRow, ImportStage
from parc.labels.layouts import LAYOUTS
from parc.labels.sheets import device_url
from parc.models import Device, DeviceEvent, StorageMedium
from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.parc.factories import DeviceFactory
from tests.parc.test_labels import decode

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "intake"

pytestmark = pytest.mark.django_db


def donation_for(organisation, **fields) -> Donation:
    donor = OrganisationFactory(is_donor=True)
    gisement = Gisement.objects.create(
        donor=donor, refurbisher=organisation, donor_kind="entreprise", name="Renouvellement"
    )
    return Donation.objects.create(gisement=gisement, **fields)


@pytest.fixture
def donation(refurbisher):
    return donation_for(refurbisher)


def upload(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    if content is None:
        content = (FIXTURES / name).read_bytes()
    return SimpleUploadedFile(name, content)


def analysed(user, donation, name, content=None) -> ImportJob:
    job = services.job_create(user, donation, upload(name, content))
    # Large files go to Celery (eager here) once the transaction commits.
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.start_analysis(user, job)
    job.refresh_from_db()
    assert job.previewed, job.error
    return job


def imported(job, user) -> ImportJob:
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.start_import(job, user)
    job.refresh_from_db()
    return job


@pytest.fixture(autouse=True)
def fresh_heartbeats():
    """Job heartbeats live in the cache, keyed by job id: ids are reused from test to test."""
    cache.clear()


def csv_bytes(rows, *, delimiter=";", encoding="utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def outcomes(job) -> dict[int, tuple[str, str]]:
    return {r.line: (r.outcome, r.messages) for r in job.rows.order_by("line")}


# --- reading files: formats, encodings, separators, aliases ----------------------------------


@pytest.mark.parametrize(
    "name, file_format, encoding, delimiter, rows",
    [
        ("en-utf8-comma.csv", "csv", "utf-8", ",", 4),
        ("fr-utf8-bom-semicolon.csv", "csv", "utf-8-sig", ";", 5),
        ("fr-windows1252-semicolon.csv", "csv", "windows-1252", ";", 3),
        ("xlsx-with-extra-column.xlsx", "xlsx", "", "", 3),  # the empty row not counted
    ],
)
def test_each_format_is_recognised(staff, donation, name, file_format, encoding, delimiter, rows):
    job = services.job_create(staff, donation, upload(name))
    assert (job.file_format, job.encoding, job.delimiter) == (file_format, encoding, delimiter)
    assert job.total_rows == rows
    assert {"serial", "brand", "model", "kind"} <= set(job.mapping.values())


def test_french_and_english_aliases():
    assert columns.guess_mapping(
        ["N° de série", "Fabricant", "Modèle", "Catégorie", "Processeur", "Mémoire (Go)", "SSD"]
    ) == {
        "0": "serial",
        "1": "brand",
        "2": "model",
        "3": "kind",
        "4": "cpu",
        "5": "ram",
        "6": "storage",
    }
    assert columns.guess_mapping(["S/N", "Brand", "Model", "Type", "RAM (GB)", "Storage"]) == {
        "0": "serial",
        "1": "brand",
        "2": "model",
        "3": "kind",
        "4": "ram",
        "5": "storage",
    }
    assert columns.guess_mapping(["Numéro de série", "Marque", "Serial Number"]) == {
        "0": "serial",
        "1": "brand",
    }


def test_windows_1252_accents_are_read(staff, donation):
    job = analysed(staff, donation, "fr-windows1252-semicolon.csv")
    first = job.rows.get(line=2)
    assert first.data["notes"] == "Écran rayé"
    assert job.rows.get(line=4).data["kind"] == "printer"  # "Imprimante multifonction"


def test_values_are_cleaned(staff, donation):
    job = analysed(staff, donation, "fr-utf8-bom-semicolon.csv")
    rows = {r.line: r.data for r in job.rows.all()}
    assert rows[2]["brand"] == "Lenovo"  # LENOVO
    assert rows[3]["media"] == [{"media_type": "nvme", "capacity_gb": 512}]
    assert rows[4]["media"] == [
        {"media_type": "hdd", "capacity_gb": 500},
        {"media_type": "ssd", "capacity_gb": 128},
    ]
    assert rows[5]["kind"] == "tablet" and rows[5]["media"][0]["media_type"] == "emmc"
    assert rows[6]["kind"] == "screen"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("8", "8.0"),
        ("8 Go", "8.0"),
        ("8GB", "8.0"),
        ("8192 Mo", "8.0"),
        ("8192", "8.0"),
        ("1,5", "1.5"),
    ],
)
def test_ram_values(text, expected):
    assert str(cleaning.parse_ram(text)) == expected


def test_xlsx_numbers_and_extra_column(staff, donation):
    job = services.job_create(staff, donation, upload("xlsx-with-extra-column.xlsx"))
    assert columns.unmapped_columns(job) == []  # "Site" goes to the remarks
    assert job.mapping["6"] == "notes"
    services.start_analysis(staff, job)
    rows = {r.line: r.data for r in job.rows.all()}
    assert rows[2]["serial"] == "123456789012"  # a number cell, not "123456789012.0"
    assert rows[2]["media"] == [{"media_type": "flash", "capacity_gb": 32}]
    assert rows[2]["notes"] == "Site : Chartres"
    assert rows[5]["kind"] == "smartphone" and rows[5]["media"][0]["media_type"] == "flash"
    assert 4 not in rows  # the empty row is skipped


# --- bad files: a clear French message per file ----------------------------------------------


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "vide"),
        (b"\x00\x01\x02\x03binary\x00\x00" * 100, "binaire"),
        (b"%PDF-1.7\n%\xe2\xe3", "PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "97-2003"),
        (b"PK\x03\x04" + b"\x00" * 100, "abîmé ou incomplet"),
    ],
)
def test_files_that_are_not_spreadsheets(staff, donation, content, message):
    with pytest.raises(errors.IntakeError) as error:
        services.job_create(staff, donation, upload("liste.csv", content))
    assert message in error.value.message
    assert not ImportJob.objects.exists()


def test_headers_only(staff, donation):
    with pytest.raises(errors.IntakeError) as error:
        services.job_create(staff, donation, upload("headers-only.csv"))
    assert "aucune ligne" in error.value.message


def test_a_50_mb_file_is_refused_before_reading(staff, donation):
    big = upload("enorme.csv", b"N\xc2\xb0 de s\xc3\xa9rie;Type\n")
    big.size = 50 * 1024 * 1024
    with pytest.raises(errors.IntakeError) as error:
        services.job_create(staff, donation, big)
    assert "50,0 Mo" in error.value.message and "10 Mo" in error.value.message


def test_missing_serial_column_asks_for_the_mapping(staff, donation):
    job = services.job_create(staff, donation, upload("no-serial-column.csv"))
    assert columns.mapping_problems(job) == ["Aucune colonne n'est reconnue comme numéro de série."]
    assert services.job_needs_columns(job)
    with pytest.raises(errors.IntakeError):
        services.start_analysis(staff, job)
    assert not job.rows.exists()


def test_lists_pasted_from_two_encodings_are_read_line_by_line(staff, donation):
    content = "N° de série;Type\nA1;Portable\n".encode() + b"A2;\xe9cran\n"
    job = services.job_create(staff, donation, upload("melange.csv", content))
    assert job.encoding == reading.MIXED
    services.start_analysis(staff, job)
    job.refresh_from_db()
    assert job.counts["new"] == 2
    assert job.rows.get(line=3).data["kind"] == "screen"


# --- rows: duplicates, errors, per-row messages ----------------------------------------------


def test_errors_and_duplicates_are_flagged_per_row(staff, donation):
    job = analysed(staff, donation, "fr-mistakes.csv")
    rows = outcomes(job)
    assert rows[2][0] == rows[3][0] == "new"
    assert rows[4] == ("error", "doublon : même numéro de série que la ligne 2")
    assert rows[5] == ("error", "numéro de série manquant")
    assert rows[6][0] == "new"  # a formula in a cell is text; it is neutralised on export
    assert "type d'appareil inconnu : « Grille-pain »" in rows[7][1]
    assert "mémoire illisible : « huit »" in rows[8][1]
    assert "notation scientifique" in rows[9][1]
    assert "une seule cellule remplie" in rows[10][1]
    assert 11 not in rows  # an empty row
    assert "stockage illisible : « beaucoup »" in rows[12][1]
    assert job.counts == {"new": 3, "existing": 0, "error": 7}
    assert not Device.objects.exists()


def test_an_import_with_errors_imports_the_valid_rows_only(staff, donation):
    job = imported(analysed(staff, donation, "fr-mistakes.csv"), staff)
    assert job.imported and job.created_count == 3
    assert sorted(Device.objects.values_list("serial", flat=True)) == ["SN-001", "SN-002", "SN-004"]
    assert job.rows.filter(outcome=ImportOutcome.ERROR).count() == 7


def test_serial_registered_in_another_donation_is_flagged(staff, refurbisher, donation):
    other = donation_for(refurbisher)
    DeviceFactory(owner=refurbisher, donation=other, brand="HP", serial="5CG7301ABC")
    DeviceFactory(owner=refurbisher, brand="HP", serial="CZC8123XYZ")  # no donation
    # Same serial but another manufacturer: another device.
    DeviceFactory(owner=refurbisher, donation=other, brand="Dell", serial="5CG7301ABD")
    job = analysed(staff, donation, "en-utf8-comma.csv")
    rows = outcomes(job)
    assert rows[2][0] == "error" and "un autre don" in rows[2][1]
    assert rows[4][0] == "error" and "sans don" in rows[4][1]
    assert rows[3][0] == "new"


def test_another_organisations_devices_do_not_count(staff, donation, other_refurbisher):
    DeviceFactory(owner=other_refurbisher, brand="HP", serial="5CG7301ABC")
    job = analysed(staff, donation, "en-utf8-comma.csv")
    assert job.counts["new"] == 4


# --- the import: invariants, idempotence, atomicity ------------------------------------------


def test_import_creates_devices_with_codes_media_and_events(staff, refurbisher, donation):
    job = imported(analysed(staff, donation, "fr-utf8-bom-semicolon.csv"), staff)
    assert job.imported and job.status == JobStatus.DONE and job.created_count == 5
    devices = Device.objects.filter(donation=donation).order_by("id")
    assert devices.count() == 5
    assert all(d.owner_id == refurbisher.pk and d.state == "registered" for d in devices)
    assert len({d.public_code for d in devices}) == 5
    assert all(d.public_code.startswith("FIL-") for d in devices)
    events = DeviceEvent.objects.filter(action="register", device__donation=donation)
    assert events.count() == 5
    assert {e.actor_id for e in events} == {staff.pk}
    assert events.first().data["import_job"] == job.pk
    desktop = devices.get(serial="MJ0ABC12")
    assert sorted(desktop.storage_media.values_list("media_type", flat=True)) == ["hdd", "ssd"]
    # The search keys the database computes work for imported rows too.
    assert Device.objects.filter(serial_key="PF1ABCDE").count() == 1
    # The rows point at their device.
    row = job.rows.get(line=2)
    assert row.outcome == "created" and Device.objects.get(public_code=row.public_code)


def test_without_storage_is_recorded(staff, donation):
    job = imported(analysed(staff, donation, "fr-windows1252-semicolon.csv"), staff)
    device = Device.objects.get(serial="4KZ7NP3")
    assert device.received_without_storage and not device.storage_media.exists()
    assert job.created_count == 3


def test_reimporting_the_same_file_changes_nothing(staff, donation):
    imported(analysed(staff, donation, "en-utf8-comma.csv"), staff)
    before = (Device.objects.count(), StorageMedium.objects.count(), DeviceEvent.objects.count())
    again = analysed(staff, donation, "en-utf8-comma.csv")
    assert again.counts == {"new": 0, "existing": 4, "error": 0}
    with pytest.raises(errors.IntakeError) as error:
        services.start_import(again, staff)
    assert error.value.code == "intake_nothing_to_import"
    after = (Device.objects.count(), StorageMedium.objects.count(), DeviceEvent.objects.count())
    assert before == after


def test_a_failed_import_writes_nothing(staff, donation, monkeypatch):
    rows = [["N° de série", "Type"]] + [[f"SN{i:05d}", "Portable"] for i in range(1200)]
    job = analysed(staff, donation, "gros.csv", csv_bytes(rows))
    calls = []
    real = services.devices_register_bulk

    def insert_then_fail(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disque plein")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "BACKGROUND_FROM", 10_000)
    monkeypatch.setattr(services, "devices_register_bulk", insert_then_fail)
    job = imported(job, staff)
    assert len(calls) == 2  # the first chunk of 500 had been inserted, then rolled back
    assert not Device.objects.exists()
    assert not DeviceEvent.objects.exists()
    assert (job.stage, job.status) == (ImportStage.IMPORT, JobStatus.FAILED)
    assert "Relancez" in job.error
    assert job.rows.filter(outcome=ImportOutcome.NEW).count() == 1200
    # Restarted once the cause is gone: every row, once.
    monkeypatch.setattr(services, "devices_register_bulk", real)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.restart(staff, job)
    job.refresh_from_db()
    assert job.imported and job.created_count == 1200 and job.attempts == 2
    assert Device.objects.count() == 1200


def test_a_serial_registered_between_preview_and_import_refuses_all(staff, refurbisher, donation):
    job = analysed(staff, donation, "en-utf8-comma.csv")
    DeviceFactory(owner=refurbisher, brand="HP", serial="CZC8123XYZ")
    job = imported(job, staff)
    assert job.status == JobStatus.FAILED and "entre-temps" in job.error
    assert Device.objects.count() == 1


def test_a_taken_public_code_is_drawn_again(staff, refurbisher, donation):
    job = analysed(staff, donation, "en-utf8-comma.csv")
    row = job.rows.get(line=2)
    DeviceFactory(owner=refurbisher, public_code=row.public_code, serial="AUTRE")
    imported(job, staff)
    row.refresh_from_db()
    device = Device.objects.get(serial="5CG7301ABC")
    assert device.public_code == row.public_code
    assert Device.objects.filter(public_code=device.public_code).count() == 1


def test_technicians_cannot_import(technician, donation):
    with pytest.raises(errors.IntakeError):
        services.job_create(technician, donation, upload("en-utf8-comma.csv"))


# --- export safety ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["=1+1", "+33 6", "-2", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_cells_are_neutralised(value):
    assert neutralise(value) == "'" + value


def test_plain_cells_are_kept():
    assert neutralise("Dell") == "Dell" and neutralise(None) == "" and neutralise(8) == "8"


def test_rejected_rows_come_back_in_the_files_own_format(client, staff, donation):
    job = analysed(staff, donation, "fr-mistakes.csv")
    client.force_login(staff)
    response = client.get(reverse("intake:rejected", kwargs={"pk": job.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "fr-mistakes-lignes-rejetees.csv" in response["Content-Disposition"]
    raw = b"".join(response.streaming_content)
    assert not raw.startswith(b"\xef\xbb\xbf")  # the donor's file had no BOM
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8")), delimiter=";"))
    assert rows[0] == ["N° de série", "Marque", "Modèle", "Type", "RAM", "Disque", "Erreur"]
    assert len(rows) == 1 + 7
    injected = next(r for r in rows if r[0] == "SN-005")
    assert injected[2] == "'=cmd|' /C calc'!A0"
    assert "Grille-pain" in injected[-1]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_csv_lines_starts_with_a_bom_for_spreadsheets():
    lines = list(csv_lines([["a", "=b"]]))
    assert lines == ["\ufeff", "a;'=b\r\n"]


# --- background work ----------------------------------------------------------------------------


def test_large_files_run_in_the_background(
    staff, donation, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "BACKGROUND_FROM", 10)
    rows = [["N° de série", "Type"]] + [[f"SN{i:05d}", "Portable"] for i in range(25)]
    job = services.job_create(staff, donation, upload("liste.csv", csv_bytes(rows)))
    dispatched = []
    from intake import tasks

    monkeypatch.setattr(tasks.run_import_job_step, "delay", lambda pk: dispatched.append(pk))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.start_analysis(staff, job) is True
    assert dispatched == [job.pk]
    job.refresh_from_db()
    assert (job.stage, job.status, job.total) == (ImportStage.PREVIEW, JobStatus.PENDING, 25)
    # What the worker does:
    tasks.run_import_job_step.apply(args=(job.pk,))
    job.refresh_from_db()
    assert job.previewed and job.done == 25 and job.attempts == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert services.start_import(job, staff) is True
    assert dispatched == [job.pk, job.pk]
    tasks.run_import_job_step.apply(args=(job.pk,))
    job.refresh_from_db()
    assert job.imported and job.created_count == 25 and job.imported_by == staff


def test_a_job_whose_worker_died_is_failed_and_restarted(
    client, staff, donation, monkeypatch, django_capture_on_commit_callbacks, settings
):
    """The worker took the job, then died (killed, out of memory): the page that polls it
    says so, and « Relancer » runs the step again."""
    import datetime as dt

    from django.utils import timezone

    monkeypatch.setattr(services, "BACKGROUND_FROM", 10)
    rows = [["N° de série", "Type"]] + [[f"SN{i:05d}", "Portable"] for i in range(25)]
    job = services.job_create(staff, donation, upload("liste.csv", csv_bytes(rows)))
    from intake import tasks

    monkeypatch.setattr(tasks.run_import_job_step, "delay", lambda pk: None)
    services.start_analysis(staff, job)
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, started_at=long_ago, heartbeat_at=long_ago, done=7
    )
    client.force_login(staff)
    url = reverse("intake:job", kwargs={"pk": job.pk})
    page = client.get(url).content.decode()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "interrompu" in job.error
    assert "Relancer" in page and "Échec de l&#x27;analyse" in page
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("intake:restart", kwargs={"pk": job.pk}))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.previewed and job.counts["new"] == 25


def test_progress_page_polls_with_the_shared_partial(client, staff, donation):
    rows = [["N° de série", "Type"]] + [[f"SN{i:05d}", "Portable"] for i in range(5)]
    job = services.job_create(staff, donation, upload("liste.csv", csv_bytes(rows)))
    from django.utils import timezone

    ImportJob.objects.filter(pk=job.pk).update(
        stage=ImportStage.PREVIEW,
        status=JobStatus.RUNNING,
        total=5,
        done=2,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    client.force_login(staff)
    url = reverse("intake:job", kwargs={"pk": job.pk})
    page = client.get(url).content.decode()
    assert 'id="job-progress"' in page and 'hx-trigger="every 1s"' in page
    assert "<progress" in page and "Analyse en cours" in page
    assert "<script>" not in page and "onclick" not in page
    fragment = client.get(url + "?suivi=1", headers={"HX-Request": "true"})
    assert 'value="2"' in fragment.content.decode()
    assert "2 lignes sur 5" in fragment.content.decode()
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.DONE)
    finished = client.get(url + "?suivi=1", headers={"HX-Request": "true"})
    assert finished["HX-Refresh"] == "true"


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_previews_and_imports_in_the_background(staff, donation, monkeypatch):
    """Through a Celery worker and Redis (CI sets CELERY_BROKER_URL); skipped elsewhere."""
    import os
    import time

    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    monkeypatch.setattr(services, "BACKGROUND_FROM", 10)
    monkeypatch.setattr(analysis, "CHUNK", 7)
    broker = os.environ["CELERY_BROKER_URL"]
    previous = dict(app.conf)
    app.conf.update(
        task_always_eager=False,
        broker_url=broker,
        result_backend=os.environ.get("CELERY_RESULT_BACKEND", broker),
    )

    def wait_for(job, state):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if getattr(job, state):
                return job
            time.sleep(0.1)
        raise AssertionError(f"{job.state_label} is not {state}: {job.error}")

    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            rows = [["N° de série", "Type"]] + [[f"SN{i:05d}", "Portable"] for i in range(25)]
            job = services.job_create(staff, donation, upload("liste.csv", csv_bytes(rows)))
            assert services.start_analysis(staff, job) is True
            job = wait_for(job, "previewed")
            assert job.counts["new"] == 25
            assert services.start_import(job, staff) is True
            job = wait_for(job, "imported")
            assert job.created_count == 25
            assert Device.objects.filter(donation=donation).count() == 25
    finally:
        app.conf.update(
            task_always_eager=previous["task_always_eager"],
            broker_url=previous["broker_url"],
            result_backend=previous["result_backend"],
        )


# --- pages ------------------------------------------------------------------------------------


def test_upload_preview_import_and_labels_through_the_pages(client, staff, donation):
    client.force_login(staff)
    start = reverse("intake:start")
    assert client.get(start + f"?don={donation.pk}").status_code == 200
    response = client.post(
        start, {"donation": donation.pk, "file": upload("fr-utf8-bom-semicolon.csv")}
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:job", kwargs={"pk": job.pk})
    page = client.get(response["Location"]).content.decode()
    assert "Aperçu : rien n'est encore enregistré" in page
    assert "Importer 5 appareils" in page
    assert not Device.objects.exists()
    response = client.post(reverse("intake:import", kwargs={"pk": job.pk}))
    assert response.status_code == 302 and Device.objects.count() == 5
    page = client.get(response["Location"]).content.decode()
    assert "Imprimer les étiquettes des appareils importés" in page
    labels = client.get(reverse("intake:labels", kwargs={"pk": job.pk}))
    assert labels.status_code == 200
    assert "5 appareils sélectionnés" in labels.content.decode()
    pdf = client.post(
        reverse("intake:labels", kwargs={"pk": job.pk}),
        {"layout": "L7160", "start": 1, "copies": 1},
    )
    assert pdf["Content-Type"] == "application/pdf"
    # The labels are those of the five devices just imported, each QR code readable.
    decoded = {text for page in decode(pdf.content, LAYOUTS["L7160"]) for _cell, text in page}
    assert decoded == {
        device_url(code) for code in Device.objects.values_list("public_code", flat=True)
    }


def test_unrecognised_columns_go_through_the_mapping_screen(client, staff, donation):
    client.force_login(staff)
    content = csv_bytes(
        [["S/N", "Brand", "Type", "Couleur"], ["C02XK0ABJGH5", "Apple", "Laptop", "gris sidéral"]]
    )
    response = client.post(
        reverse("intake:start"), {"donation": donation.pk, "file": upload("liste.csv", content)}
    )
    job = ImportJob.objects.get()
    mapping_url = reverse("intake:mapping", kwargs={"pk": job.pk})
    assert response["Location"] == mapping_url
    page = client.get(mapping_url).content.decode()
    assert "Couleur" in page and "gris sidéral" in page  # the header and an example value
    form = {f"colonne_{i}": v for i, v in enumerate(["serial", "brand", "kind", "notes"])}
    response = client.post(mapping_url, form)
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.previewed
    assert job.rows.get(line=2).data["notes"] == "Couleur : gris sidéral"


def test_mapping_without_serial_is_refused(client, staff, donation):
    client.force_login(staff)
    job = services.job_create(staff, donation, upload("no-serial-column.csv"))
    response = client.post(
        reverse("intake:mapping", kwargs={"pk": job.pk}),
        {"colonne_0": "brand", "colonne_1": "model", "colonne_2": "kind"},
    )
    assert response.status_code == 400
    assert "Choisissez la colonne du numéro de série." in response.content.decode()


def test_a_bad_file_gets_its_message_on_the_form(client, staff, donation):
    client.force_login(staff)
    response = client.post(
        reverse("intake:start"),
        {"donation": donation.pk, "file": upload("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00")},
    )
    assert response.status_code == 400
    assert "binaire" in response.content.decode()


def test_another_organisations_import_is_a_404(client, staff, donation, other_refurbisher):
    job = analysed(staff, donation, "en-utf8-comma.csv")
    stranger = UserFactory(username="autre-equipe")
    MembershipFactory(user=stranger, organisation=other_refurbisher, role="staff")
    client.force_login(stranger)
    for name in ("job", "mapping", "rejected", "labels"):
        assert client.get(reverse(f"intake:{name}", kwargs={"pk": job.pk})).status_code == 404
    for name in ("import", "restart", "reanalyse"):
        assert client.post(reverse(f"intake:{name}", kwargs={"pk": job.pk})).status_code == 404
    assert not Device.objects.exists()


def test_another_organisations_donation_cannot_be_chosen(client, staff, other_refurbisher):
    foreign = donation_for(other_refurbisher)
    client.force_login(staff)
    response = client.post(
        reverse("intake:start"),
        {"donation": foreign.pk, "file": upload("en-utf8-comma.csv")},
    )
    assert response.status_code == 400
    assert not ImportJob.objects.exists()


def test_prescribers_have_no_import_page(client, prescriber):
    client.force_login(prescriber)
    assert client.get(reverse("intake:start")).status_code == 403


@pytest.mark.parametrize("count", [3, 30])
def test_preview_page_query_budget(client, staff, donation, count, django_assert_max_num_queries):
    rows = [["N° de série", "Marque", "Type"]] + [
        [f"SN{i:05d}", "Dell", "Portable" if i % 5 else "Grille-pain"] for i in range(count)
    ]
    job = analysed(staff, donation, "liste.csv", csv_bytes(rows))
    client.force_login(staff)
    url = reverse("intake:job", kwargs={"pk": job.pk})
    client.get(url)  # warm the session and permissions caches
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('class="outcome-') == count


def test_preview_rows_are_paged_by_line(client, staff, donation):
    rows = [["N° de série", "Type"]] + [[f"SN{i:05d}", "Portable"] for i in range(150)]
    job = analysed(staff, donation, "liste.csv", csv_bytes(rows))
    client.force_login(staff)
    url = reverse("intake:job", kwargs={"pk": job.pk})
    first = client.get(url).content.decode()
    assert first.count('class="outcome-') == selectors.ROWS_PAGE
    assert "apres=101" in first
    second = client.get(url + "?apres=101").content.decode()
    assert second.count('class="outcome-') == 50


def test_stream_reading_does_not_keep_rows(staff, donation):
    rows = [["N° de série", "Type"]] + [[f"SN{i:05d}", "Portable"] for i in range(2000)]
    job = services.job_create(staff, donation, upload("liste.csv", csv_bytes(rows)))
    reader = reading.iter_rows(job)
    assert not isinstance(reader, list)
    assert next(reader)[1] == ["SN00000", "Portable"]  # below the header
    reader.close()
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.start_analysis(staff, job)
    assert ImportRow.objects.filter(job=job, outcome=ImportOutcome.NEW).count() == 2000


def test_an_xlsx_built_in_the_test_is_read(staff, donation):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Serial Number", "Manufacturer", "Category"])
    sheet.append(["ABC123", "Acer", "Notebook"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = analysed(staff, donation, "liste.xlsx", buffer.getvalue())
    assert job.rows.get().data["kind"] == "laptop"


def test_a_neutralised_cell_of_our_rejected_file_is_read_back_as_written(staff, donation):
    """The rejected rows come back with « '= » before a formula-like text (so a spreadsheet
    does not run it); imported again, the apostrophe is read away."""
    content = csv_bytes(
        [["N° de série", "Type", "Modèle", "Erreur"], ["'-SN9", "Portable", "'=A1+1", "x"]]
    )
    job = analysed(staff, donation, "corrige.csv", content)
    assert job.rows.get().data["model"] == "=A1+1"
    assert job.rows.get().data["serial"] == "-SN9"
