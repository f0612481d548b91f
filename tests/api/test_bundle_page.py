"""A bundle the agent wrote without a network, given on the device's page."""

import base64
import html
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from parc.models import ErasureRecord
from tests.parc.factories import DeviceFactory

FIXTURES = Path(__file__).parents[1] / "fixtures"
pytestmark = pytest.mark.django_db


def bundle_for(code: str) -> SimpleUploadedFile:
    content = {
        "format": "filiere-agent-bundle",
        "code": code,
        "collected_at": "2026-12-03T10:15:00+00:00",
        "lshw": json.loads(
            (FIXTURES / "hardware/lshw-handwritten-latitude-5490-nvme-hdd.json").read_text()
        ),
        "smartctl": [json.loads((FIXTURES / "agent/laptop/smartctl-sda.json").read_text())],
        "nwipe_log_base64": base64.b64encode(
            (FIXTURES / "nwipe/nwipe-0.33-dodshort-two-loops-vm.serials-edited.log").read_bytes()
        ).decode(),
    }
    return SimpleUploadedFile(
        f"filiere-{code}.json", json.dumps(content).encode(), "application/json"
    )


def test_bundle_accepted_on_the_device_page(client, technician, refurbisher):
    device = DeviceFactory(owner=refurbisher, brand="", model="", serial="", state="triage")
    client.force_login(technician)
    url = f"/e/{device.public_code}/paquet-agent/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"bundle": bundle_for(device.public_code)}, follow=True)
    assert response.redirect_chain[-1][0].endswith(f"/e/{device.public_code}/")
    assert "Paquet de l'agent accepté" in html.unescape(response.content.decode())
    assert device.storage_media.count() == 2
    assert ErasureRecord.objects.filter(medium__device=device).count() == 2
    # The lshw report and the smartctl output: each its evidence and its history line.
    reports = device.events.filter(action="hardware_report")
    assert reports.count() == 2
    assert all(event.data.get("via") is None for event in reports)  # a page, not the API


def test_bundle_of_another_device_or_garbage_is_refused(client, technician, refurbisher):
    device = DeviceFactory(owner=refurbisher, state="triage")
    other = DeviceFactory(owner=refurbisher)
    client.force_login(technician)
    url = f"/e/{device.public_code}/paquet-agent/"
    wrong = client.post(url, {"bundle": bundle_for(other.public_code)}, follow=True)
    assert other.public_code in wrong.content.decode()
    garbage = client.post(
        url, {"bundle": SimpleUploadedFile("x.json", b"\xff\xfe", "application/json")}
    )
    assert "illisible" in garbage.content.decode()
    assert not device.storage_media.exists() and not other.storage_media.exists()


def test_bundle_page_of_another_organisation_is_404(client, outsider, refurbisher):
    device = DeviceFactory(owner=refurbisher)
    client.force_login(outsider)
    assert client.get(f"/e/{device.public_code}/paquet-agent/").status_code == 404
