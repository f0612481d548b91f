"""Hardware reports (lshw, inxi): parsing real captures, and applying a report to a device
all or nothing. Fixtures and their origin: tests/fixtures/hardware/README.md."""

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
from tests.factories import DeviceFactory, StorageMediumFactory

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hardware"


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
        (b"%PDF-1.7 binary", "pas un JSON valide"),
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
    with pytest.raises(ReportError) as error:
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
    page = response.content.decode()
    assert "Disque virtuel ignoré" in page
    history = page[page.index('id="history-title"') :]
    assert "Rapport matériel joint" in history
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
    assert "pas un JSON valide" in response.content.decode()


@pytest.mark.django_db
def test_another_organisations_device_page_is_a_404(client, refurbisher, outsider):
    from django.urls import reverse

    device = DeviceFactory(owner=refurbisher)
    client.force_login(outsider)
    for name in ("parc:hardware_report", "parc:erasure_log"):
        assert client.get(reverse(name, kwargs={"code": device.public_code})).status_code == 404
