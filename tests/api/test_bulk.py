"""POST /api/v1/devices/bulk/: up to 1,000 devices with their media and hardware reports,
all or none, one result per item, through ``devices_register_bulk``."""

import json
from pathlib import Path
from unittest import mock

import pytest

from parc.models import Device, DeviceEvent, StorageMedium
from tests.dons.factories import DonationFactory, GisementFactory
from tests.parc.factories import StockLocationFactory

FIXTURES = Path(__file__).parents[1] / "fixtures"
LATITUDE = json.loads(
    (FIXTURES / "hardware/lshw-handwritten-latitude-5490-nvme-hdd.json").read_text()
)
pytestmark = pytest.mark.django_db


def test_bulk_registers_every_device_with_its_report_and_media(api, staff, refurbisher):
    gisement = GisementFactory(refurbisher=refurbisher)
    donation = DonationFactory(gisement=gisement, state="received")
    shelf = StockLocationFactory(organisation=refurbisher)
    client = api(staff, "pool", name="banc inventaire")
    payload = {
        "donation": donation.pk,
        "devices": [
            {"kind": "laptop", "hardware_report": LATITUDE, "location": shelf.pk},
            {
                "kind": "laptop",
                "brand": "Lenovo",
                "hardware_report": LATITUDE,
                "media": [{"media_type": "ssd", "serial": "ONLYONE"}],
            },
            {"kind": "screen", "brand": "Iiyama"},
        ],
    }
    response = client.post("/api/v1/devices/bulk/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["registered"] == 3
    assert [r["index"] for r in body["results"]] == [0, 1, 2]
    assert [r["media"] for r in body["results"]] == [2, 1, 0]
    assert body["results"][0]["report_format"] == "lshw"
    first, second, third = (Device.objects.get(pk=r["id"]) for r in body["results"])
    assert first.public_code == body["results"][0]["code"]
    assert (first.brand, first.model, first.location) == ("Dell", "Latitude 5490", shelf)
    assert first.ram_gb and first.cpu
    assert second.brand == "Lenovo"  # given wins over the report
    assert [m.serial for m in second.storage_media.all()] == ["ONLYONE"]
    assert {d.donation_id for d in (first, second, third)} == {donation.pk}
    events = DeviceEvent.objects.filter(device__in=[first, second, third], action="register")
    assert events.count() == 3
    assert all(e.data["token"] == "banc inventaire" for e in events)
    assert events.get(device=first).data["hardware_report"] == "lshw"


def test_bulk_uses_the_bulk_service_once(api, staff, refurbisher):
    from parc import services

    with (
        mock.patch.object(
            services, "devices_register_bulk", wraps=services.devices_register_bulk
        ) as bulk,
        mock.patch.object(services, "device_register") as single,
    ):
        api(staff, "pool").post(
            "/api/v1/devices/bulk/",
            {"devices": [{"kind": "tablet"}] * 20},
            format="json",
        )
    assert bulk.call_count == 1 and len(bulk.call_args.kwargs["rows"]) == 20
    assert single.call_count == 0


def test_bulk_is_all_or_nothing(api, staff, refurbisher, other_refurbisher):
    client = api(staff, "pool")
    bad_item = client.post(
        "/api/v1/devices/bulk/",
        {"devices": [{"kind": "laptop"}, {"kind": "toaster"}]},
        format="json",
    )
    assert bad_item.status_code == 400
    assert bad_item.json()["errors"] == {
        "devices[1].kind": ["«\xa0toaster\xa0» n'est pas un choix valide."]
    }
    bad_report = client.post(
        "/api/v1/devices/bulk/",
        {"devices": [{"kind": "laptop"}, {"kind": "laptop", "hardware_report": {"x": 1}}]},
        format="json",
    )
    assert bad_report.status_code == 400
    assert bad_report.json()["code"] == "hardware_report_unreadable"
    assert bad_report.json()["field"] == "devices[1].hardware_report"
    foreign_shelf = StockLocationFactory(organisation=other_refurbisher)
    foreign = client.post(
        "/api/v1/devices/bulk/",
        {"devices": [{"kind": "laptop"}, {"kind": "laptop", "location": foreign_shelf.pk}]},
        format="json",
    )
    assert foreign.json()["code"] == "unknown_location"
    storage = client.post(
        "/api/v1/devices/bulk/",
        {
            "devices": [
                {
                    "kind": "laptop",
                    "received_without_storage": True,
                    "media": [{"media_type": "hdd"}],
                }
            ]
        },
        format="json",
    )
    assert storage.json()["code"] == "media_without_storage"
    assert not Device.objects.exists() and not StorageMedium.objects.exists()


def test_bulk_limits(api, staff, technician, prescriber):
    client = api(staff, "pool")
    assert client.post("/api/v1/devices/bulk/", {"devices": []}, format="json").status_code == 400
    too_many = client.post(
        "/api/v1/devices/bulk/", {"devices": [{"kind": "other"}] * 1001}, format="json"
    )
    assert too_many.status_code == 400 and "devices" in too_many.json()["errors"]
    thousand = client.post(
        "/api/v1/devices/bulk/", {"devices": [{"kind": "other"}] * 1000}, format="json"
    )
    assert thousand.status_code == 201 and thousand.json()["registered"] == 1000
    refused = api(prescriber, "pool").post(
        "/api/v1/devices/bulk/", {"devices": [{"kind": "other"}]}, format="json"
    )
    assert refused.status_code == 403
    read_only = api(technician, "read").post(
        "/api/v1/devices/bulk/", {"devices": [{"kind": "other"}]}, format="json"
    )
    assert read_only.json()["code"] == "scope_insufficient"


def test_bulk_writes_rows_by_the_hundred(api, staff, refurbisher, django_assert_max_num_queries):
    """Multi-row INSERTs (SQLite splits them at its variable limit): a few statements for
    400 devices, their media and events, never one per device."""
    client = api(staff, "pool")
    client.get("/api/v1/devices/")
    with django_assert_max_num_queries(30):
        response = client.post(
            "/api/v1/devices/bulk/",
            {"devices": [{"kind": "laptop", "media": [{"media_type": "hdd"}]}] * 400},
            format="json",
        )
    assert response.json()["registered"] == 400


def test_agent_token_bulk_registers_for_its_organisation(api, admin, refurbisher):
    agent = api(admin, "agent", organisation=refurbisher)
    response = agent.post(
        "/api/v1/devices/bulk/", {"devices": [{"kind": "laptop"}] * 2}, format="json"
    )
    assert response.status_code == 201
    assert set(Device.objects.values_list("owner_id", flat=True)) == {refurbisher.pk}
