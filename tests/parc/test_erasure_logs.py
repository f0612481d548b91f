"""nwipe logs: real logs of nwipe 0.33 run on loop devices on this machine, a published
nwipe 0.2x log, and attaching a log to a device in two steps (staged on the server, then
confirmed) all or nothing. Fixtures and their origin: tests/fixtures/nwipe/README.md."""

import gzip
import html
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from core.errors import ApplicationError
from parc import services
from parc.evidence import services as evidence
from parc.evidence.erasure_logs import LogError, parse_log
from parc.models import DeviceEvent, ErasureRecord
from tests.parc.factories import DeviceFactory, StorageMediumFactory

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "nwipe"
ZERO = "nwipe-0.33-zero-loop-vm.log"
TWO = "nwipe-0.33-dodshort-two-loops-vm.log"
TWO_WITH_SERIALS = "nwipe-0.33-dodshort-two-loops-vm.serials-edited.log"
ABORTED = "nwipe-0.33-prng-aborted-loop-vm.log"
FAILED = "nwipe-0.33-zero-readonly-loop-failed.log"
OPS2 = "nwipe-0.33-ops2-noverify-noblank-loop.log"
VERBOSE = "nwipe-0.33-dodshort-verbose-3rounds-loop.log"
FIRECRACKER = "nwipe-0.33-zero-loop-firecracker.log"
OLD = "nwipe-0.2x-ops2-book-excerpt.log"
LONG = "nwipe-0.33-zero-7000rounds-loop.log.gz"


def fixture(name: str) -> bytes:
    raw = (FIXTURES / name).read_bytes()
    return gzip.decompress(raw) if name.endswith(".gz") else raw


def local(text):
    return timezone.localtime(text).strftime("%Y-%m-%d %H:%M:%S")


# --- parsing the real logs --------------------------------------------------------------------


def test_real_zero_fill_log():
    log = parse_log(fixture(ZERO))
    assert (log.tool, log.tool_version) == ("nwipe", "0.33")
    assert log.method_name == "Fill With Zeros" and log.method_label == "Zero Fill"
    assert log.verify == "full"  # --verify=last reads the whole disk back
    (disk,) = log.disks
    assert disk.path == "/dev/loop0"
    assert disk.model == "Loopback device"
    assert disk.serial == ""  # a loop device has none: nwipe printed garbage bytes
    assert disk.result == "erased"
    assert local(disk.started_at) == "2026-11-23 10:17:08"
    assert local(disk.ended_at) == "2026-11-23 10:17:13"
    fields = log.record_fields(disk)
    assert (fields["level"], fields["method"], fields["tool_version"]) == (
        "clear",
        "overwrite",
        "0.33",
    )


def test_real_two_disk_dod_short_log():
    log = parse_log(fixture(TWO))
    assert log.method_label == "DoD Short"
    assert [(d.path, d.result, d.size) for d in log.disks] == [
        ("/dev/loop0", "erased", "67 MB"),
        ("/dev/loop1", "erased", "100 MB"),
    ]


def test_real_aborted_log():
    log = parse_log(fixture(ABORTED))
    assert log.method_label == "PRNG Stream"
    (disk,) = log.disks
    assert disk.status == "UABORTED" and disk.result == "aborted"
    # Ended after the six seconds the status table reports.
    assert (disk.ended_at - disk.started_at).total_seconds() == 6


def test_errors_in_the_summary_make_a_disk_failed():
    text = (
        fixture(ZERO)
        .decode("utf-8", "replace")
        .replace(
            "loop0 |           0 |                    0 |",
            "loop0 |           3 |                    0 |",
        )
    )
    (disk,) = parse_log(text).disks
    assert disk.result == "failed"


def test_a_log_cut_before_its_summary_counts_as_aborted():
    text = fixture(ZERO).decode("utf-8", "replace")
    cut = text[: text.index("Error Summary")]
    log = parse_log(cut)
    assert log.disks[0].result == "aborted"
    assert any("s'arrête avant le bilan" in w for w in log.warnings)


def test_quiet_logs_hide_serials():
    text = fixture(TWO_WITH_SERIALS).decode().replace("S4DPNF0M612345", "XXXXXXXXXXXXXX")
    disks = parse_log(text).disks
    assert disks[0].serial == "" and disks[1].serial == "WGS1AB2C"


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"hello\nworld\n", "pas un journal nwipe"),
        (b"%PDF-1.7\x00\x00binary", "pas un journal texte"),
        (b"x" * (20 * 1024 * 1024 + 1), "trop gros"),
    ],
)
def test_files_that_are_not_nwipe_logs_are_refused(raw, message):
    with pytest.raises(LogError) as error:
        parse_log(raw)
    assert message in error.value.message


def test_a_verification_only_run_is_not_an_erasure():
    text = fixture(ZERO).decode("utf-8", "replace").replace("Fill With Zeros", "Verify Zeros")
    with pytest.raises(LogError) as error:
        parse_log(text)
    assert "vérification" in error.value.message


# --- attaching a log to a device ------------------------------------------------------------


@pytest.fixture
def laptop(refurbisher):
    device = DeviceFactory(owner=refurbisher, state="triage")
    nvme = StorageMediumFactory(device=device, media_type="nvme", serial="S4DPNF0M612345")
    hdd = StorageMediumFactory(device=device, media_type="hdd", serial="WGS1-AB2C")
    return device, nvme, hdd


@pytest.mark.django_db
def test_disks_are_matched_by_serial_and_the_log_is_kept(laptop, technician):
    device, nvme, hdd = laptop
    outcome = evidence.erasure_log_attach(
        device.pk, technician, fixture(TWO_WITH_SERIALS), filename="nwipe.log"
    )
    records = {r.medium_id: r for r in outcome.records}
    assert set(records) == {nvme.pk, hdd.pk}  # "WGS1-AB2C" matches "WGS1AB2C"
    record = records[nvme.pk]
    assert (record.method, record.level, record.tool, record.tool_version) == (
        "overwrite",
        "clear",
        "nwipe",
        "0.33",
    )
    assert (record.verification, record.result, record.operator) == ("full", "erased", technician)
    assert record.serial == "S4DPNF0M612345" and record.media_type == "nvme"
    assert records[nvme.pk].report.name == records[hdd.pk].report.name  # stored once
    assert default_storage.open(record.report.name).read() == fixture(TWO_WITH_SERIALS)
    assert DeviceEvent.objects.filter(device=device, action="erasure").count() == 2
    assert DeviceEvent.objects.filter(device=device, action="erasure_log").count() == 1
    assert device.media_lacking_erasure() == []


@pytest.mark.django_db
def test_attaching_the_same_log_twice_records_nothing_new(laptop, technician):
    device, _nvme, _hdd = laptop
    evidence.erasure_log_attach(device.pk, technician, fixture(TWO_WITH_SERIALS))
    again = evidence.erasure_log_attach(device.pk, technician, fixture(TWO_WITH_SERIALS))
    assert again.records == []
    assert ErasureRecord.objects.filter(medium__device=device).count() == 2


@pytest.mark.django_db
def test_unmatched_disks_refuse_the_whole_log(laptop, technician):
    device, _nvme, _hdd = laptop
    with pytest.raises(evidence.EvidenceError) as error:
        evidence.erasure_log_attach(device.pk, technician, fixture(TWO))
    assert "/dev/loop0" in error.value.message and "/dev/loop1" in error.value.message
    assert not ErasureRecord.objects.exists()
    assert not DeviceEvent.objects.filter(device=device).exists()


@pytest.mark.django_db
def test_disks_without_a_readable_serial_can_be_assigned_or_ignored(laptop, technician):
    device, nvme, _hdd = laptop
    outcome = evidence.erasure_log_attach(
        device.pk,
        technician,
        fixture(TWO),
        assignments={"/dev/loop0": str(nvme.pk), "/dev/loop1": evidence.IGNORE},
    )
    (record,) = outcome.records
    assert record.medium == nvme
    assert outcome.event.data["ignored"] == ["/dev/loop1"]


@pytest.mark.django_db
def test_an_aborted_wipe_is_recorded_as_aborted_and_does_not_count(laptop, technician):
    device, nvme, hdd = laptop
    evidence.erasure_log_attach(
        device.pk, technician, fixture(ABORTED), assignments={"/dev/loop2": str(hdd.pk)}
    )
    record = ErasureRecord.objects.get(medium=hdd)
    assert record.result == "aborted"
    assert set(device.media_lacking_erasure()) == {nvme, hdd}


@pytest.mark.django_db
def test_a_device_out_of_the_workshop_refuses_the_log_entirely(refurbisher, technician):
    device = DeviceFactory(owner=refurbisher, state="ready")
    StorageMediumFactory(device=device, serial="S4DPNF0M612345")
    StorageMediumFactory(device=device, serial="WGS1AB2C")
    with pytest.raises(ApplicationError):
        evidence.erasure_log_attach(device.pk, technician, fixture(TWO_WITH_SERIALS))
    assert not ErasureRecord.objects.exists()


@pytest.mark.django_db
def test_a_failure_on_the_second_disk_rolls_back_the_first(laptop, technician, monkeypatch):
    device, _nvme, _hdd = laptop
    real = services.erasure_record
    calls = []

    def record_then_fail(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise ApplicationError("panne simulée")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "erasure_record", record_then_fail)
    with pytest.raises(ApplicationError):
        evidence.erasure_log_attach(device.pk, technician, fixture(TWO_WITH_SERIALS))
    assert not ErasureRecord.objects.exists()
    assert not DeviceEvent.objects.filter(device=device).exists()


@pytest.mark.django_db
def test_one_medium_cannot_take_two_disks(laptop, technician):
    device, nvme, _hdd = laptop
    with pytest.raises(evidence.EvidenceError):
        evidence.erasure_log_attach(
            device.pk,
            technician,
            fixture(TWO),
            assignments={"/dev/loop0": nvme.pk, "/dev/loop1": nvme.pk},
        )


# --- more real logs: every method, failure, verbosity and version we could produce or find --


def test_real_failed_wipe_of_a_read_only_disk():
    """nwipe could not write to a read-only loop device: -FAILED- with one pass error."""
    (disk,) = parse_log(fixture(FAILED)).disks
    assert (disk.status, disk.result, disk.pass_errors) == ("FAILED", "failed", 1)


def test_real_ops2_without_verification_nor_blanking():
    log = parse_log(fixture(OPS2))
    assert (log.method_label, log.verify) == ("RCMP TSSIT OPS-II", "none")
    assert log.disks[0].result == "erased"


def test_real_verbose_log_with_three_rounds():
    log = parse_log(fixture(VERBOSE))
    assert (log.method_label, log.rounds, log.verify) == ("DoD Short", 3, "full")
    assert log.disks[0].result == "erased"


def test_real_zero_fill_on_another_vm_with_an_empty_serial():
    (disk,) = parse_log(fixture(FIRECRACKER)).disks
    assert (disk.serial, disk.bus, disk.size, disk.result) == ("", "VIRT", "67 MB", "erased")


def test_real_log_of_4_megabytes_is_read():
    """7,000 rounds on a 1 MB loop device: 4.3 MB of log, like the logs of the issue."""
    raw = fixture(LONG)
    assert len(raw) > 4 * 1024 * 1024
    log = parse_log(raw)
    (disk,) = log.disks
    assert (log.rounds, disk.result) == (7000, "erased")
    assert (disk.ended_at - disk.started_at).total_seconds() == 64


def test_published_log_of_nwipe_before_0_28():
    """The old format (``nwipe: notice:``, quoted devices, no banner, no tables), as printed
    in a published forensics book: its excerpt stops after the first pass."""
    log = parse_log(fixture(OLD))
    assert (log.tool_version, log.method_name, log.method_label) == (
        "",
        "RCMP TSSIT OPS-II",
        "RCMP TSSIT OPS-II",
    )
    (disk,) = log.disks
    assert (disk.path, disk.capacity_gb) == ("/dev/sdj", 160)
    assert local(disk.started_at) == "2016-01-15 23:14:56"
    assert local(disk.ended_at) == "2016-01-15 23:57:00"
    assert disk.result == "aborted"  # the excerpt ends mid-wipe
    assert any("version de nwipe" in w for w in log.warnings)


def test_old_format_completion_lines_decide_the_outcome():
    """Derived from the published excerpt: nwipe 0.2x ends a run with one line for all its
    disks, or names the disk that failed."""
    base = fixture(OLD).decode()
    done = base + "[2016/01/16 08:12:40] nwipe: info: Nwipe successfully completed.\n"
    assert parse_log(done).disks[0].result == "erased"
    failed = (
        base + "[2016/01/16 08:12:40] nwipe: fatal: Nwipe exited with errors on device = /dev/sdj\n"
    )
    assert parse_log(failed).disks[0].result == "failed"


def test_binary_garbage_is_refused():
    hostile = Path(__file__).resolve().parent.parent / "fixtures" / "hostile" / "garbage.bin"
    with pytest.raises(LogError) as error:
        parse_log(hostile.read_bytes())
    assert error.value.code in ("log_binary", "log_not_nwipe")


# --- the page: upload (staged on the server), then confirm ---------------------------------


def page_text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.django_db
def test_the_page_stages_the_log_then_records(client, laptop, technician):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from parc.models import EvidenceFile

    device, nvme, _hdd = laptop
    client.force_login(technician)
    url = reverse("parc:erasure_log", kwargs={"code": device.public_code})
    # Reached from the device page and from the wipe page, not by typing its address.
    for page_url in (
        reverse("parc:device", kwargs={"code": device.public_code}),
        reverse("parc:transition", kwargs={"code": device.public_code, "name": "wipe"}),
    ):
        assert f'href="{url}"' in client.get(page_url).content.decode(), page_url
    assert client.get(url).status_code == 200
    response = client.post(url, {"log": SimpleUploadedFile("nwipe.log", fixture(TWO))})
    staged = EvidenceFile.objects.get()
    assert staged.is_staged and staged.uploaded_by == technician
    step2 = reverse(
        "parc:erasure_log_confirm", kwargs={"code": device.public_code, "pk": staged.pk}
    )
    assert response.status_code == 302 and response["Location"] == step2
    page = client.get(step2)
    text = page_text(page)
    assert "/dev/loop0" in text and "Ignorer : disque d'une autre machine" in text
    assert staged.sha256 in text
    # The log does not travel back through the browser.
    assert 'type="hidden" name="contenu"' not in text and "nwipe 0.33" not in text.split("<form")[1]
    assert not ErasureRecord.objects.exists()  # read only
    response = client.post(
        step2,
        {
            "disque__dev_loop0": str(nvme.pk),
            "disque__dev_loop1": evidence.IGNORE,
            "enregistrer": "1",
        },
    )
    assert response.status_code == 302
    record = ErasureRecord.objects.get()
    assert record.medium == nvme and record.evidence == staged
    staged.refresh_from_db()
    assert not staged.is_staged
    page = page_text(client.get(response["Location"]))
    assert "Journal d'effacement nwipe joint" in page[page.index('id="history-title"') :]
    evidence_section = page[page.index('id="evidence-title"') : page.index('id="history-title"')]
    assert "nwipe.log" in evidence_section and staged.sha256 in evidence_section


@pytest.mark.django_db
def test_the_page_refuses_to_record_unassigned_disks(client, laptop, technician):
    from django.urls import reverse

    device, _nvme, _hdd = laptop
    staged, _log = evidence.erasure_log_stage(device.pk, technician, fixture(TWO))
    client.force_login(technician)
    url = reverse("parc:erasure_log_confirm", kwargs={"code": device.public_code, "pk": staged.pk})
    response = client.post(url, {"enregistrer": "1"})
    assert response.status_code == 400
    assert "ne correspondent à aucun support" in page_text(response)
    assert not ErasureRecord.objects.exists()
    staged.refresh_from_db()
    assert staged.is_staged  # still there to choose and confirm


@pytest.mark.django_db
def test_a_device_without_media_gets_them_from_the_log_on_confirmation(
    client, refurbisher, technician
):
    """The issue's case: a 4 MB log, a device with no medium on record."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from parc.models import StorageMedium

    device = DeviceFactory(owner=refurbisher, state="triage")
    client.force_login(technician)
    url = reverse("parc:erasure_log", kwargs={"code": device.public_code})
    response = client.post(url, {"log": SimpleUploadedFile("nwipe.log", fixture(LONG))})
    assert response.status_code == 302
    page = page_text(client.get(response["Location"]))
    # Proposed, not done: nothing exists before the technician confirms.
    assert "Support décrit par le journal : disque dur (HDD) Loopback device 1 Go." in page
    assert "Fichier « nwipe.log » (4,1 Mo)" in page
    assert 'value="creer" selected' in page
    assert not StorageMedium.objects.filter(device=device).exists()
    response = client.post(
        response["Location"], {"disque__dev_loop2": evidence.CREATE, "enregistrer": "1"}
    )
    assert response.status_code == 302
    medium = StorageMedium.objects.get(device=device)
    assert (medium.media_type, medium.model, medium.capacity_gb) == ("hdd", "Loopback device", 1)
    assert ErasureRecord.objects.get().medium == medium
    assert device.media_lacking_erasure() == []


@pytest.mark.django_db
def test_a_log_past_20_mb_is_dropped_unread(client, refurbisher, technician):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from parc.evidence.erasure_logs import MAX_LOG_BYTES
    from parc.models import EvidenceFile

    device = DeviceFactory(owner=refurbisher, state="triage")
    client.force_login(technician)
    url = reverse("parc:erasure_log", kwargs={"code": device.public_code})
    big = SimpleUploadedFile("nwipe.log", b"x" * (MAX_LOG_BYTES + 1))
    response = client.post(url, {"log": big})
    assert response.status_code == 400
    assert "dépasse 20 Mo" in page_text(response)
    assert not EvidenceFile.objects.exists()


@pytest.mark.django_db
def test_a_staged_log_is_its_uploaders_only_and_expires(
    client, laptop, technician, staff, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.urls import reverse

    from parc.models import EvidenceFile

    device, _nvme, _hdd = laptop
    staged, _log = evidence.erasure_log_stage(device.pk, technician, fixture(TWO))
    url = reverse("parc:erasure_log_confirm", kwargs={"code": device.public_code, "pk": staged.pk})
    client.force_login(staff)  # same organisation, another person
    assert client.get(url).status_code == 404
    with pytest.raises(evidence.EvidenceError):
        evidence.erasure_log_confirm(staged.pk, staff, assignments={})
    client.force_login(technician)
    assert client.get(url).status_code == 200
    EvidenceFile.objects.filter(pk=staged.pk).update(
        staged_until=timezone.now() - timedelta(seconds=1)
    )
    assert client.get(url).status_code == 404
    name = staged.file.name
    with django_capture_on_commit_callbacks(execute=True):
        assert evidence.staged_evidence_purge() == 1
    assert not EvidenceFile.objects.exists() and not default_storage.exists(name)


@pytest.mark.django_db
def test_a_log_is_confirmed_once(laptop, technician):
    device, _nvme, _hdd = laptop
    staged, _log = evidence.erasure_log_stage(device.pk, technician, fixture(TWO_WITH_SERIALS))
    evidence.erasure_log_confirm(staged.pk, technician)
    with pytest.raises(evidence.EvidenceError) as error:
        evidence.erasure_log_confirm(staged.pk, technician)
    assert error.value.code == "staged_log_gone"
    assert ErasureRecord.objects.count() == 2


@pytest.mark.django_db
def test_another_organisation_sees_no_staged_log_nor_kept_log(client, laptop, technician, outsider):
    from django.urls import reverse

    device, _nvme, _hdd = laptop
    outcome = evidence.erasure_log_attach(device.pk, technician, fixture(TWO_WITH_SERIALS))
    staged, _log = evidence.erasure_log_stage(device.pk, technician, fixture(TWO))
    client.force_login(outsider)
    for url in (
        reverse("parc:erasure_log_confirm", kwargs={"code": device.public_code, "pk": staged.pk}),
        reverse(
            "parc:evidence_download",
            kwargs={"code": device.public_code, "pk": outcome.evidence.pk},
        ),
    ):
        assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_the_log_is_downloadable_as_sent_and_the_admin_links_to_it(
    client, laptop, technician, django_user_model
):
    import hashlib

    from django.urls import reverse

    device, _nvme, _hdd = laptop
    raw = fixture(TWO_WITH_SERIALS)
    outcome = evidence.erasure_log_attach(device.pk, technician, raw, filename="station 3.log")
    kept = outcome.evidence
    assert (kept.size, kept.sha256) == (len(raw), hashlib.sha256(raw).hexdigest())
    client.force_login(technician)
    download = reverse("parc:evidence_download", kwargs={"code": device.public_code, "pk": kept.pk})
    response = client.get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content) == raw
    admin = django_user_model.objects.create_superuser("ops", "ops@example.org", "x")
    client.force_login(admin)
    record = outcome.records[0]
    page = client.get(reverse("admin:parc_erasurerecord_change", args=[record.pk]))
    assert page.status_code == 200
    assert download in page.content.decode()
    assert client.get(download).status_code == 200


@pytest.mark.django_db
def test_the_erasure_certificate_cites_the_log(refurbisher, technician):
    from django.db.models import Q

    from rapports.models import ReportSubjectKind
    from rapports.selectors.annex import ANNEX_COLUMNS, annex_rows
    from rapports.selectors.scope import Period, ReportSubject
    from tests.dons.factories import DonationFactory

    donation = DonationFactory()
    device = DeviceFactory(owner=refurbisher, state="triage", donation=donation)
    StorageMediumFactory(device=device, media_type="nvme", serial="S4DPNF0M612345")
    StorageMediumFactory(device=device, media_type="hdd", serial="WGS1AB2C")
    outcome = evidence.erasure_log_attach(
        device.pk, technician, fixture(TWO_WITH_SERIALS), filename="nwipe.log"
    )
    subject = ReportSubject(
        kind=ReportSubjectKind.DONATION,
        pk=donation.pk,
        title="",
        donor="",
        refurbishers="",
        gisement_q=Q(),
    )
    rows = list(annex_rows(subject, Period()))
    assert len(rows) == 2
    labels = [str(label) for _name, label in ANNEX_COLUMNS]
    assert labels[-2:] == ["journal de l'outil", "SHA-256 du journal"]
    for row in rows:
        assert row["evidence__original_name"] == "nwipe.log"
        assert row["evidence__sha256"] == outcome.evidence.sha256
