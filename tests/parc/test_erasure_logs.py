"""nwipe logs: real logs of Debian's nwipe 0.33 run on loop devices, and attaching a log to a
device all or nothing. Fixtures and their origin: tests/fixtures/nwipe/README.md."""

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
from tests.factories import DeviceFactory, StorageMediumFactory

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "nwipe"
ZERO = "nwipe-0.33-zero-loop-vm.log"
TWO = "nwipe-0.33-dodshort-two-loops-vm.log"
TWO_WITH_SERIALS = "nwipe-0.33-dodshort-two-loops-vm.serials-edited.log"
ABORTED = "nwipe-0.33-prng-aborted-loop-vm.log"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


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
        (b"x" * (6 * 1024 * 1024), "trop gros"),
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


# --- the page: read, check, then record -----------------------------------------------------


@pytest.mark.django_db
def test_the_page_reads_then_records(client, laptop, technician):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

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
    page = response.content.decode()
    assert response.status_code == 200
    assert "/dev/loop0" in page and "Ignorer : disque d'une autre machine" in page
    assert not ErasureRecord.objects.exists()  # read only
    contenu = response.context["form"]["contenu"].value()
    response = client.post(
        url,
        {
            "contenu": contenu,
            "nom": "nwipe.log",
            "disque__dev_loop0": str(nvme.pk),
            "disque__dev_loop1": evidence.IGNORE,
            "enregistrer": "1",
        },
    )
    assert response.status_code == 302
    assert ErasureRecord.objects.get().medium == nvme
    page = html.unescape(client.get(response["Location"]).content.decode())
    assert "Journal d'effacement nwipe joint" in page[page.index('id="history-title"') :]


@pytest.mark.django_db
def test_the_page_refuses_to_record_unassigned_disks(client, laptop, technician):
    from django.urls import reverse

    device, _nvme, _hdd = laptop
    client.force_login(technician)
    url = reverse("parc:erasure_log", kwargs={"code": device.public_code})
    response = client.post(
        url,
        {"contenu": evidence.encode_for_form(fixture(TWO)), "nom": "n.log", "enregistrer": "1"},
    )
    assert response.status_code == 400
    assert not ErasureRecord.objects.exists()
