"""Hardware reports (lshw, inxi, smartctl, dmidecode): parsing real captures, refusing hostile
files in French, and applying a report to a device all or nothing with a French summary kept
in its history. Fixtures and their origin: tests/fixtures/hardware/README.md and
tests/fixtures/hostile/README.md."""

import html
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from core.errors import ApplicationError, NotPermitted
from parc import services
from parc.evidence import services as evidence
from parc.evidence.hardware import ReportError, clean, parse_report
from parc.models import DeviceEvent, StorageMedium
from tests.parc.factories import DeviceFactory, StorageMediumFactory

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hardware"
HOSTILE = FIXTURES.parent / "hostile"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# --- parsing real captures ----------------------------------------------------------------


def test_lshw_of_this_virtual_machine():
    """Captured with Debian 12's lshw in the KVM guest the tests were written on."""
    report = parse_report(fixture("lshw-vm-debian12-kvm.json"))
    assert report.format == "lshw"
    assert report.cpu == "AMD EPYC"
    assert report.ram_gb == Decimal("24.0")
    assert (report.brand, report.model, report.serial) == ("", "", "")
    # The virtio disk is the VM's, not a storage medium of a donated device.
    assert report.media == []
    assert any("Disque virtuel ignoré" in w for w in report.warnings)


def test_inxi_of_this_virtual_machine():
    report = parse_report(fixture("inxi-vm-debian12-kvm.json"))
    assert report.format == "inxi"
    assert report.cpu == "AMD EPYC (dual core)"
    assert report.ram_gb == Decimal("24.0")  # 23.54 GiB seen by the system
    assert report.media == []
    assert any("/dev/vda" in w for w in report.warnings)


def test_lshw_of_a_real_asus_notebook_ignores_the_usb_sticks():
    """eReuse's capture of an ASUS E200HA booted from a live USB stick."""
    report = parse_report(fixture("lshw-asus-e200ha-notebook-ereuse.json"))
    assert report.brand == "ASUS"
    assert report.model == "E200HA"  # the SKU in parentheses is dropped
    assert report.serial == "G6NLCX01Z49224G"
    assert report.cpu == "Intel Atom x5-Z8350 @ 1.44GHz"
    assert report.ram_gb == Decimal("2.0")
    assert report.chassis == "notebook"
    assert report.media == []  # its eMMC is not listed by that lshw; the two USB sticks are not
    usb = [w for w in report.warnings if "USB" in w]
    assert len(usb) == 2
    assert any("eMMC" in w for w in report.warnings)


def test_lshw_laptop_with_nvme_and_sata_disk():
    report = parse_report(fixture("lshw-handwritten-latitude-5490-nvme-hdd.json"))
    assert (report.brand, report.model, report.serial) == ("Dell", "Latitude 5490", "4KZ7NP2")
    assert report.ram_gb == Decimal("8.0")
    nvme, hdd = report.media
    assert (nvme.media_type, nvme.serial, nvme.capacity_gb) == ("nvme", "S4DPNF0M612345", 256)
    assert nvme.manufacturer == "Samsung"
    assert (hdd.media_type, hdd.manufacturer, hdd.capacity_gb) == ("hdd", "Seagate", 500)


def test_inxi_laptop_with_nvme():
    report = parse_report(fixture("inxi-handwritten-thinkpad-t480-nvme.json"))
    assert (report.brand, report.model, report.serial) == ("Lenovo", "ThinkPad T480", "PF1ABCDE")
    assert report.ram_gb == Decimal("16.0")
    (nvme,) = report.media
    assert (nvme.media_type, nvme.capacity_gb, nvme.serial) == ("nvme", 512, "S3TNNX0K901234")


def test_lshw_list_wrapper_and_concatenated_objects_are_read():
    single = json.loads(fixture("lshw-asus-e200ha-notebook-ereuse.json"))
    assert parse_report(json.dumps([single])).serial == "G6NLCX01Z49224G"
    text = json.dumps(single) + "\n" + json.dumps({"id": "x", "class": "bus"})
    assert parse_report(text).serial == "G6NLCX01Z49224G"


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"", "vide"),
        (b"{not json", "pas un JSON valide"),
        (b'{"hello": "world"}', "Format de rapport inconnu"),
        (b"[1, 2, 3]", "Format de rapport inconnu"),
        (b"%PDF-1.7 binary", "Format de rapport inconnu"),
        (b" " * (6 * 1024 * 1024), "trop gros"),
    ],
)
def test_bad_reports_are_refused_in_french(raw, message):
    with pytest.raises(ReportError) as error:
        parse_report(raw)
    assert message in error.value.message


def test_placeholders_and_garbage_are_not_values():
    assert clean("To Be Filled By O.E.M.") == ""
    assert clean("  Default string ") == ""
    assert clean("p\ufffd\ufffdt") == ""
    assert clean(" ST500LM034 ") == "ST500LM034"


# --- applying a report to a device ----------------------------------------------------------


@pytest.mark.django_db
def test_a_report_fills_empty_specs_and_creates_media(refurbisher, technician):
    device = DeviceFactory(owner=refurbisher, brand="", model="", serial="", cpu="")
    outcome = evidence.hardware_report_apply(
        device.pk, technician, fixture("lshw-handwritten-latitude-5490-nvme-hdd.json")
    )
    device.refresh_from_db()
    assert (device.brand, device.model, device.serial) == ("Dell", "Latitude 5490", "4KZ7NP2")
    assert device.ram_gb == Decimal("8.0")
    media = list(device.storage_media.order_by("id"))
    assert [(m.media_type, m.serial) for m in media] == [
        ("nvme", "S4DPNF0M612345"),
        ("hdd", "WGS1AB2C"),
    ]
    event = DeviceEvent.objects.get(device=device, action="hardware_report")
    assert event.data["format"] == "lshw"
    assert default_storage.exists(event.data["file"])
    assert len(outcome.media_created) == 2
    # Each medium went through storage_medium_add, which writes its own event.
    assert DeviceEvent.objects.filter(device=device, action="add_medium").count() == 2


@pytest.mark.django_db
def test_applying_the_same_report_twice_adds_nothing(refurbisher, technician):
    device = DeviceFactory(owner=refurbisher, serial="")
    raw = fixture("inxi-handwritten-thinkpad-t480-nvme.json")
    evidence.hardware_report_apply(device.pk, technician, raw)
    second = evidence.hardware_report_apply(device.pk, technician, raw)
    assert second.media_created == []
    assert device.storage_media.count() == 1


@pytest.mark.django_db
def test_specs_already_entered_are_kept(refurbisher, technician):
    device = DeviceFactory(owner=refurbisher, brand="DELL", model="Latitude", serial="4KZ7NP2")
    outcome = evidence.hardware_report_apply(
        device.pk, technician, fixture("lshw-handwritten-latitude-5490-nvme-hdd.json")
    )
    device.refresh_from_db()
    assert (device.brand, device.model) == ("DELL", "Latitude")
    assert "brand" not in outcome.filled and "cpu" in outcome.filled


@pytest.mark.django_db
def test_a_report_of_another_machine_is_refused_and_changes_nothing(refurbisher, technician):
    device = DeviceFactory(owner=refurbisher, serial="AUTRE-123", cpu="")
    with pytest.raises(evidence.EvidenceError) as error:
        evidence.hardware_report_apply(
            device.pk, technician, fixture("lshw-handwritten-latitude-5490-nvme-hdd.json")
        )
    assert "4KZ7NP2" in error.value.message
    device.refresh_from_db()
    assert device.cpu == "" and device.storage_media.count() == 0
    assert not DeviceEvent.objects.filter(device=device).exists()


@pytest.mark.django_db
def test_a_failure_half_way_rolls_back_specs_and_media(refurbisher, technician, monkeypatch):
    device = DeviceFactory(owner=refurbisher, serial="", cpu="")
    calls = []
    real_add = services.storage_medium_add

    def add_then_fail(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise ApplicationError("panne simulée")
        return real_add(*args, **kwargs)

    monkeypatch.setattr(services, "storage_medium_add", add_then_fail)
    with pytest.raises(ApplicationError):
        evidence.hardware_report_apply(
            device.pk, technician, fixture("lshw-handwritten-latitude-5490-nvme-hdd.json")
        )
    device.refresh_from_db()
    assert device.cpu == "" and device.serial == ""
    assert StorageMedium.objects.filter(device=device).count() == 0


@pytest.mark.django_db
def test_malformed_report_is_refused_before_anything(refurbisher, technician):
    device = DeviceFactory(owner=refurbisher)
    with pytest.raises(evidence.EvidenceError) as error:
        evidence.hardware_report_apply(device.pk, technician, b'{"truncated": ')
    assert "JSON" in error.value.message
    assert not DeviceEvent.objects.filter(device=device).exists()


@pytest.mark.django_db
def test_known_medium_without_serial_is_not_duplicated(refurbisher, technician):
    device = DeviceFactory(owner=refurbisher, serial="")
    StorageMediumFactory(device=device, media_type="nvme", serial="S3TNNX0K901234")
    outcome = evidence.hardware_report_apply(
        device.pk, technician, fixture("inxi-handwritten-thinkpad-t480-nvme.json")
    )
    assert outcome.media_created == [] and len(outcome.media_known) == 1


@pytest.mark.django_db
def test_another_organisation_cannot_apply_a_report(refurbisher, outsider):
    device = DeviceFactory(owner=refurbisher)
    with pytest.raises(NotPermitted):
        evidence.hardware_report_apply(
            device.pk, outsider, fixture("inxi-handwritten-thinkpad-t480-nvme.json")
        )


# --- the page ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_applies_a_report_and_shows_its_warnings(client, refurbisher, technician):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    device = DeviceFactory(owner=refurbisher, serial="", cpu="")
    client.force_login(technician)
    url = reverse("parc:hardware_report", kwargs={"code": device.public_code})
    # Reached from the device page, not by typing its address.
    device_page = client.get(reverse("parc:device", kwargs={"code": device.public_code}))
    assert f'href="{url}"' in device_page.content.decode()
    assert client.get(url).status_code == 200
    report = SimpleUploadedFile("lshw.json", fixture("lshw-vm-debian12-kvm.json"))
    response = client.post(url, {"report": report}, follow=True)
    assert response.redirect_chain[-1][0].endswith(f"/e/{device.public_code}/")
    page = html.unescape(response.content.decode())
    history = page[page.index('id="history-title"') :]
    assert "Rapport matériel joint" in history
    # The summary stays in the history, in French, without internal field names.
    assert "Disque virtuel ignoré" in history
    assert "Absent du rapport : marque, modèle, numéro de série" in history
    assert "machine virtuelle" in history
    assert "ram_gb" not in history and "cpu," not in history
    device.refresh_from_db()
    assert device.cpu == "AMD EPYC"


@pytest.mark.django_db
def test_the_page_explains_a_bad_report(client, refurbisher, technician):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    device = DeviceFactory(owner=refurbisher)
    client.force_login(technician)
    url = reverse("parc:hardware_report", kwargs={"code": device.public_code})
    response = client.post(url, {"report": SimpleUploadedFile("x.json", b"<html>")})
    assert response.status_code == 400
    assert "Format de rapport inconnu" in response.content.decode()


@pytest.mark.django_db
def test_another_organisations_device_page_is_a_404(client, refurbisher, outsider):
    from django.urls import reverse

    device = DeviceFactory(owner=refurbisher)
    client.force_login(outsider)
    for name in ("parc:hardware_report", "parc:erasure_log"):
        assert client.get(reverse(name, kwargs={"code": device.public_code})).status_code == 404


# --- smartctl and dmidecode -----------------------------------------------------------------


def test_smartctl_nvme_drive():
    """smartctl 7.1 JSON of an Intel 660p NVMe drive (scrutiny's test data)."""
    report = parse_report(fixture("smartctl-7.1-nvme-intel-660p-scrutiny.json"))
    assert (report.format, report.tool_version) == ("smartctl", "7.1")
    (drive,) = report.media
    assert (drive.media_type, drive.manufacturer, drive.serial) == (
        "nvme",
        "Intel",
        "BTNH93710FS91P0B",
    )
    assert (drive.capacity_gb, drive.smart_status, drive.power_on_hours) == (1024, "passed", 2401)
    # smartctl says nothing of the machine: no spec is filled from it.
    assert report.specs() == {"brand": "", "model": "", "serial": "", "cpu": "", "ram_gb": None}


def test_smartctl_sata_hard_disk():
    report = parse_report(fixture("smartctl-7.0-sata-hdd-wd140edfz-scrutiny.json"))
    (drive,) = report.media
    assert (drive.media_type, drive.manufacturer, drive.model) == (
        "hdd",  # it spins at 5,400 rpm
        "Western Digital",
        "WDC WD140EDFZ-11A0VA0",
    )
    assert drive.capacity_gb == 14001


def test_smartctl_of_this_virtual_machine_is_refused_with_its_reason():
    """Real: smartctl 7.3 -j -a /dev/vda on the VM these tests were written on."""
    with pytest.raises(ReportError) as error:
        parse_report(fixture("smartctl-7.3-vm-virtio-unsupported.json"))
    assert error.value.code == "report_tool_failed"
    assert "Unable to detect device type" in error.value.message
    assert "machine virtuelle" in error.value.message


def test_smartctl_that_could_not_open_the_disk_is_refused():
    with pytest.raises(ReportError) as error:
        parse_report(fixture("smartctl-7.0-windows-open-failed-scrutiny.json"))
    assert error.value.code == "report_tool_failed"


def test_smartctl_failing_drive_is_flagged():
    data = json.loads(fixture("smartctl-7.0-sata-hdd-wd140edfz-scrutiny.json"))
    data["smart_status"]["passed"] = False
    report = parse_report(json.dumps(data))
    assert report.media[0].smart_status == "failed"
    assert any("défaillant" in warning for warning in report.warnings)


def test_smartctl_outputs_of_several_disks_in_one_file():
    text = (
        fixture("smartctl-7.1-nvme-intel-660p-scrutiny.json").decode()
        + fixture("smartctl-7.0-sata-hdd-wd140edfz-scrutiny.json").decode()
    )
    assert [m.media_type for m in parse_report(text).media] == ["nvme", "hdd"]


def test_dmidecode_of_a_real_thinkpad():
    """linuxhw's dmidecode 3.4 of a ThinkPad 13 2nd Gen (serials masked by the project)."""
    report = parse_report(fixture("dmidecode-3.4-thinkpad-13-2nd-gen-linuxhw.txt"))
    assert (report.format, report.tool_version) == ("dmidecode", "3.4")
    assert (report.brand, report.model, report.chassis) == (
        "Lenovo",
        "ThinkPad 13 2nd Gen",
        "Notebook",
    )
    assert report.serial == ""  # "--" in the dump
    assert report.cpu == "Intel Core i3-7100U @ 2.40GHz"
    assert report.ram_gb == Decimal("8.0")  # one 8 GB module, the other slot empty
    assert report.media == [] and report.virtual == []


def test_dmidecode_of_this_virtual_machine_is_refused_with_its_reason():
    """Real: this VM has no DMI tables; dmidecode 3.4 prints its banner only."""
    with pytest.raises(ReportError) as error:
        parse_report(fixture("dmidecode-3.4-vm-no-dmi.txt"))
    assert error.value.code == "report_no_dmi"
    assert "aucune table DMI" in error.value.message


def test_dmidecode_of_a_qemu_guest_looks_virtual():
    report = parse_report(fixture("dmidecode-3.3-qemu-q35-excerpt.txt"))
    assert report.brand == "QEMU"
    assert report.virtual and "QEMU" in report.virtual[0]


def test_virtual_machine_signs_in_lshw():
    report = parse_report(fixture("lshw-vm-debian12-firecracker.json"))
    assert report.virtual == [
        "le processeur signale un hyperviseur",
        "ses disques sont virtuels (/dev/vda)",
    ]


# --- hostile files (issue 17): a French refusal, never a 500 --------------------------------


@pytest.mark.parametrize(
    "name, code",
    [
        ("deep-1100-brackets.json", "report_too_deep"),
        ("integer-5000-digits.json", "report_number_too_long"),
        ("garbage.bin", "report_not_json"),
    ],
)
def test_hostile_reports_are_refused_with_a_stable_code(name, code):
    with pytest.raises(ReportError) as error:
        parse_report((HOSTILE / name).read_bytes())
    assert error.value.code == code
    assert "rapport" in error.value.message


def test_brackets_inside_strings_do_not_count_as_depth():
    data = json.loads(fixture("lshw-handwritten-latitude-5490-nvme-hdd.json"))
    (data[0] if isinstance(data, list) else data)["description"] = "[{" * 5000
    assert parse_report(json.dumps(data)).serial == "4KZ7NP2"


def test_a_json_with_too_many_values_is_refused():
    from parc.evidence.json_limits import MAX_ITEMS

    with pytest.raises(ReportError) as error:
        parse_report("[" + "0," * (MAX_ITEMS + 1) + "0]")
    assert error.value.code == "report_too_many_items"


def test_a_known_shape_with_wrong_values_is_refused_whole():
    text = fixture("inxi-handwritten-thinkpad-t480-nvme.json").decode()
    text = text.replace("476.94 GiB", "4.7.6 GiB")
    with pytest.raises(ReportError) as error:
        parse_report(text)
    assert error.value.code == "report_malformed"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["deep-1100-brackets.json", "integer-5000-digits.json"])
def test_the_page_refuses_hostile_json_with_a_400(client, refurbisher, technician, name):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    device = DeviceFactory(owner=refurbisher)
    client.force_login(technician)
    url = reverse("parc:hardware_report", kwargs={"code": device.public_code})
    response = client.post(url, {"report": SimpleUploadedFile(name, (HOSTILE / name).read_bytes())})
    assert response.status_code == 400
    assert "ce n'est pas un rapport matériel" in html.unescape(response.content.decode())
    assert not DeviceEvent.objects.filter(device=device).exists()


@pytest.mark.django_db
def test_the_page_drops_a_report_past_its_limit_unread(client, refurbisher, technician):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from parc.evidence.hardware import MAX_REPORT_BYTES
    from parc.models import EvidenceFile

    device = DeviceFactory(owner=refurbisher)
    client.force_login(technician)
    url = reverse("parc:hardware_report", kwargs={"code": device.public_code})
    big = SimpleUploadedFile("big.json", b" " * (MAX_REPORT_BYTES + 1))
    response = client.post(url, {"report": big})
    assert response.status_code == 400
    assert "dépasse 5 Mo" in response.content.decode()
    assert not EvidenceFile.objects.exists()


# --- the summary, the evidence, the device page ---------------------------------------------


@pytest.mark.django_db
def test_the_summary_says_what_was_filled_kept_added_and_missing(refurbisher, technician):
    device = DeviceFactory(
        owner=refurbisher, brand="DELL", model="", serial="", cpu="", ram_gb=None
    )
    outcome = evidence.hardware_report_apply(
        device.pk, technician, fixture("lshw-handwritten-latitude-5490-nvme-hdd.json")
    )
    summary = outcome.summary
    assert summary[0] == "Rapport lshw lu."
    assert summary[1] == (
        "Complété : modèle (Latitude 5490), numéro de série (4KZ7NP2), "
        "processeur (Intel Core i5-8350U @ 1.70GHz), mémoire vive (8 Go)."
    )
    assert summary[2] == "Déjà renseigné, gardé tel quel : marque."
    assert summary[3] == (
        "Supports ajoutés : SSD NVMe Samsung PM981 NVMe Samsung 256GB 256 Go (n° S4DPNF0M612345) ; "
        "disque dur (HDD) Seagate ST500LM034-2GH17 500 Go (n° WGS1AB2C)."
    )
    event = outcome.event
    assert event.data["summary"] == summary and event.note == " ".join(summary)


@pytest.mark.django_db
def test_a_sparse_dmidecode_report_says_what_it_lacked(refurbisher, technician):
    device = DeviceFactory(owner=refurbisher, brand="", model="", serial="", cpu="", ram_gb=None)
    outcome = evidence.hardware_report_apply(
        device.pk,
        technician,
        fixture("dmidecode-3.3-qemu-q35-excerpt.txt"),
        filename="dmidecode.txt",
    )
    text = " ".join(outcome.summary)
    assert "Absent du rapport : numéro de série, processeur, mémoire vive, disques" in text
    assert "machine virtuelle (le fabricant ou le modèle annoncé est « QEMU" in text
    assert outcome.evidence.tool == "dmidecode"


@pytest.mark.django_db
def test_smartctl_updates_the_health_of_a_known_medium(refurbisher, technician):
    device = DeviceFactory(owner=refurbisher)
    medium = StorageMediumFactory(device=device, media_type="hdd", serial="9RK1XXXX")
    data = json.loads(fixture("smartctl-7.0-sata-hdd-wd140edfz-scrutiny.json"))
    data["smart_status"]["passed"] = False
    outcome = evidence.hardware_report_apply(device.pk, technician, json.dumps(data).encode())
    medium.refresh_from_db()
    assert medium.smart_status == "failed" and outcome.media_created == []
    assert any("État SMART défaillant" in line for line in outcome.summary)


@pytest.mark.django_db
def test_the_device_page_lists_the_report_with_its_checksum_and_capacities(
    client, refurbisher, technician, django_assert_max_num_queries
):
    import hashlib

    from django.urls import reverse

    device = DeviceFactory(owner=refurbisher, serial="")
    raw = fixture("smartctl-7.1-nvme-intel-660p-scrutiny.json")
    outcome = evidence.hardware_report_apply(device.pk, technician, raw, filename="nvme.json")
    StorageMediumFactory(device=device, media_type="hdd", serial="X1", capacity_gb=256)
    client.force_login(technician)
    with django_assert_max_num_queries(16):
        page = client.get(reverse("parc:device", kwargs={"code": device.public_code}))
    text = html.unescape(page.content.decode())
    section = text[text.index('id="evidence-title"') : text.index('id="history-title"')]
    assert "Justificatifs" in section and "nvme.json" in section
    assert hashlib.sha256(raw).hexdigest() in section
    download = reverse(
        "parc:evidence_download", kwargs={"code": device.public_code, "pk": outcome.evidence.pk}
    )
    assert download in section
    specs = text[text.index('id="details-title"') : text.index('id="evidence-title"')]
    assert "1 To" in specs and "256 Go" in specs and "état SMART : bon" in specs
    response = client.get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == raw
    assert "nvme.json" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.django_db
def test_another_organisation_cannot_download_the_evidence(
    client, refurbisher, technician, outsider
):
    from django.urls import reverse

    device = DeviceFactory(owner=refurbisher, serial="")
    outcome = evidence.hardware_report_apply(
        device.pk, technician, fixture("inxi-handwritten-thinkpad-t480-nvme.json")
    )
    client.force_login(outsider)
    url = reverse(
        "parc:evidence_download", kwargs={"code": device.public_code, "pk": outcome.evidence.pk}
    )
    assert client.get(url).status_code == 404
