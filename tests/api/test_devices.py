"""The device endpoints: allowed, refused by role, another organisation's device a 404, bad
input a 400 with a code, a query budget that does not grow with the rows, and the token's
name in the device's history."""

import base64
from pathlib import Path

import pytest
from django.utils import timezone

from parc.models import Device, DeviceEvent, ErasureRecord, StorageMedium
from tests.parc.factories import DeviceFactory, StockLocationFactory, StorageMediumFactory

FIXTURES = Path(__file__).parents[1] / "fixtures"
pytestmark = pytest.mark.django_db


def test_list_shows_own_devices_with_the_pages_filters(api, technician, refurbisher, outsider):
    DeviceFactory(owner=refurbisher, kind="laptop", brand="Dell")
    DeviceFactory(owner=refurbisher, kind="tablet", brand="Apple")
    DeviceFactory(owner=outsider.memberships.get().organisation, kind="laptop")
    client = api(technician, "read")
    body = client.get("/api/v1/devices/").json()
    assert body["count"] == 2
    assert {row["brand"] for row in body["results"]} == {"Dell", "Apple"}
    assert client.get("/api/v1/devices/?kind=tablet").json()["count"] == 1
    assert client.get("/api/v1/devices/?q=DEL").json()["results"][0]["brand"] == "Dell"


def test_list_keyset_pages_walk_every_device_once(api, technician, refurbisher):
    codes = {DeviceFactory(owner=refurbisher).public_code for _ in range(7)}
    client = api(technician, "read")
    seen, url = [], "/api/v1/devices/?page_size=3"
    while url:
        body = client.get(url).json()
        seen += [row["code"] for row in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(codes)
    assert len(seen) == 7


def test_list_bad_filter_is_a_400_with_a_code(api, technician):
    response = api(technician, "read").get("/api/v1/devices/?state=broken")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "state" in response.json()["errors"]
    response = api(technician, "read").get("/api/v1/devices/?after=1&before=3")
    assert response.status_code == 400


def test_list_query_count_does_not_grow_with_rows(
    api, technician, refurbisher, django_assert_max_num_queries
):
    location = StockLocationFactory(organisation=refurbisher)
    for _ in range(3):
        DeviceFactory(owner=refurbisher, location=location)
    client = api(technician, "read")
    client.get("/api/v1/devices/")  # last_used_at written once
    # token, roles, page, capped count: the same with 2 rows shown or 30.
    with django_assert_max_num_queries(4):
        assert len(client.get("/api/v1/devices/?page_size=2").json()["results"]) == 2
    for _ in range(30):
        DeviceFactory(owner=refurbisher, location=location)
    with django_assert_max_num_queries(4):
        assert len(client.get("/api/v1/devices/?page_size=30").json()["results"]) == 30


def test_prescriber_sees_no_pool(api, prescriber, refurbisher):
    DeviceFactory(owner=refurbisher)
    assert api(prescriber, "read").get("/api/v1/devices/").json()["count"] == 0


def test_detail_by_code_and_id_and_foreign_is_404(api, technician, refurbisher, outsider):
    device = DeviceFactory(owner=refurbisher)
    StorageMediumFactory(device=device)
    foreign = DeviceFactory(owner=outsider.memberships.get().organisation)
    client = api(technician, "read")
    body = client.get(f"/api/v1/devices/{device.public_code}/").json()
    assert body["code"] == device.public_code
    assert len(body["storage_media"]) == 1
    assert {t["name"] for t in body["transitions"]} == {"start_triage", "recycle"}
    assert client.get(f"/api/v1/devices/{device.pk}/").json()["code"] == device.public_code
    assert client.get(f"/api/v1/devices/{device.public_code.lower()}/").status_code == 200
    for ident in (foreign.public_code, foreign.pk, "FIL-XXXXXXX", "nonsense", 10**30):
        response = client.get(f"/api/v1/devices/{ident}/")
        assert response.status_code == 404, ident
        assert response.json() == {"code": "not_found", "message": "Introuvable."}


def test_detail_query_budget(api, technician, refurbisher, django_assert_max_num_queries):
    device = DeviceFactory(owner=refurbisher)
    for _ in range(5):
        StorageMediumFactory(device=device)
    client = api(technician, "read")
    client.get(f"/api/v1/devices/{device.public_code}/")
    with django_assert_max_num_queries(4):
        assert client.get(f"/api/v1/devices/{device.public_code}/").status_code == 200


def test_register_one_device_with_its_medium_and_the_token_in_history(api, technician, refurbisher):
    client = api(technician, "pool", name="poste atelier 2")
    response = client.post(
        "/api/v1/devices/",
        {
            "kind": "laptop",
            "brand": "Lenovo",
            "model": "T480",
            "serial": "PF1ABCDE",
            "ram_gb": "8.0",
            "media": [{"media_type": "nvme", "serial": "S4EWNX0M", "capacity_gb": 256}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    device = Device.objects.get(public_code=body["code"])
    assert device.owner == refurbisher
    assert device.storage_media.get().serial == "S4EWNX0M"
    event = device.events.get()
    assert event.action == "register"
    assert event.data == {"via": "api", "token": "poste atelier 2"}
    assert event.actor == technician


def test_register_refusals(api, technician, prescriber, refurbisher, other_refurbisher):
    client = api(technician, "pool")
    bad = client.post("/api/v1/devices/", {"kind": "toaster"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    assert "kind" in bad.json()["errors"]
    foreign_owner = client.post(
        "/api/v1/devices/", {"kind": "laptop", "owner": other_refurbisher.pk}, format="json"
    )
    assert foreign_owner.status_code == 400
    assert foreign_owner.json()["code"] == "unknown_owner"
    foreign_location = StockLocationFactory(organisation=other_refurbisher)
    response = client.post(
        "/api/v1/devices/", {"kind": "laptop", "location": foreign_location.pk}, format="json"
    )
    assert response.json()["code"] == "unknown_location"
    refused = api(prescriber, "pool").post("/api/v1/devices/", {"kind": "laptop"}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "not_permitted"
    read_only = api(technician, "read").post("/api/v1/devices/", {"kind": "laptop"}, format="json")
    assert read_only.status_code == 403
    assert read_only.json()["code"] == "scope_insufficient"
    assert not Device.objects.exists()


def test_media_add_and_list(api, technician, refurbisher, outsider):
    device = DeviceFactory(owner=refurbisher)
    client = api(technician, "pool")
    url = f"/api/v1/devices/{device.public_code}/media/"
    response = client.post(url, {"media_type": "hdd", "serial": "WD-1"}, format="json")
    assert response.status_code == 201
    assert [m["serial"] for m in client.get(url).json()] == ["WD-1"]
    assert device.events.get(action="add_medium").data["via"] == "api"
    assert client.post(url, {"media_type": "floppy"}, format="json").status_code == 400
    assert api(outsider, "pool").post(url, {"media_type": "hdd"}, format="json").status_code == 404


def test_transition_with_expected_state(api, technician, refurbisher):
    device = DeviceFactory(owner=refurbisher)
    client = api(technician, "pool", name="banc 1")
    url = f"/api/v1/devices/{device.public_code}/transitions/start_triage/"
    changed = client.post(url, {"expected_state": "wiped"}, format="json")
    assert changed.status_code == 409 and changed.json()["code"] == "changed"
    ok = client.post(url, {"expected_state": "registered", "note": "banc"}, format="json")
    assert ok.status_code == 201, ok.json()
    assert ok.json()["target_state"] == "triage"
    assert ok.json()["data"]["token"] == "banc 1"
    again = client.post(url, {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"
    wipe = client.post(f"/api/v1/devices/{device.public_code}/transitions/wipe/", {}, format="json")
    assert wipe.status_code == 409
    assert "support" in wipe.json()["message"]
    unknown = client.post(
        f"/api/v1/devices/{device.public_code}/transitions/explode/", {}, format="json"
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_transition"
    elsewhere = client.post(
        f"/api/v1/devices/{device.public_code}/transitions/lend/", {}, format="json"
    )
    assert elsewhere.json()["code"] == "transition_elsewhere"


def test_mark_ready_needs_grade_and_checklist(api, technician, refurbisher):
    device = DeviceFactory(owner=refurbisher, received_without_storage=True, kind="desktop")
    client = api(technician, "pool")
    code = device.public_code
    for name in ("start_triage", "wipe", "start_refurbishment"):
        assert client.post(f"/api/v1/devices/{code}/transitions/{name}/").status_code == 201
    url = f"/api/v1/devices/{code}/transitions/mark_ready/"
    assert client.post(url, {}, format="json").json()["code"] == "grade_required"
    partial = client.post(url, {"grade": "B", "checklist": {"powers_on": True}}, format="json")
    assert partial.status_code == 409
    from parc.checklists import checklist_for

    checklist = {key: True for key, _ in checklist_for("desktop")}
    ok = client.post(url, {"grade": "B", "checklist": checklist}, format="json")
    assert ok.status_code == 201, ok.json()
    device.refresh_from_db()
    assert device.state == "ready" and device.grade == "B"


def test_declare_lost_without_note_is_400(api, staff, refurbisher):
    device = DeviceFactory(owner=refurbisher)
    response = api(staff, "pool").post(
        f"/api/v1/devices/{device.public_code}/transitions/declare_lost/", {}, format="json"
    )
    assert response.status_code in (400, 409)


def test_move(api, technician, refurbisher, other_refurbisher):
    device = DeviceFactory(owner=refurbisher)
    shelf = StockLocationFactory(organisation=refurbisher, name="Étagère A")
    client = api(technician, "pool")
    url = f"/api/v1/devices/{device.public_code}/moves/"
    assert client.post(url, {"location": shelf.pk}, format="json").status_code == 201
    device.refresh_from_db()
    assert device.location == shelf
    foreign = StockLocationFactory(organisation=other_refurbisher)
    assert client.post(url, {"location": foreign.pk}, format="json").status_code == 400
    assert client.post(url, {"location": None}, format="json").status_code == 201
    assert client.post(url, {"location": "x"}, format="json").status_code == 400


def test_erasure_record_for_a_medium_of_the_device(api, technician, refurbisher):
    device = DeviceFactory(owner=refurbisher, state="registered")
    medium = StorageMediumFactory(device=device)
    other_medium = StorageMediumFactory(device=DeviceFactory(owner=refurbisher))
    client = api(technician, "pool")
    url = f"/api/v1/devices/{device.public_code}/erasures/"
    now = timezone.now()
    payload = {
        "medium": medium.pk,
        "level": "clear",
        "method": "overwrite",
        "tool": "nwipe",
        "verification": "full",
        "result": "erased",
        "started_at": (now - timezone.timedelta(hours=1)).isoformat(),
        "ended_at": now.isoformat(),
    }
    assert client.post(url, payload, format="json").status_code == 201
    assert len(client.get(url).json()) == 1
    wrong = client.post(url, {**payload, "medium": other_medium.pk}, format="json")
    assert wrong.status_code == 400 and wrong.json()["code"] == "unknown_medium"
    backwards = client.post(
        url, {**payload, "ended_at": (now - timezone.timedelta(days=1)).isoformat()}, format="json"
    )
    assert backwards.status_code == 400


def test_hardware_report_fills_specs_and_media(api, technician, refurbisher):
    device = DeviceFactory(owner=refurbisher, brand="", model="", serial="", cpu="")
    raw = (FIXTURES / "hardware/lshw-handwritten-latitude-5490-nvme-hdd.json").read_text()
    client = api(technician, "pool", name="banc 3")
    response = client.post(
        f"/api/v1/devices/{device.public_code}/hardware-reports/", {"report": raw}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["format"] == "lshw"
    assert body["filled"]["brand"] == "Dell"
    assert len(body["media_created"]) == 2
    assert device.events.get(action="hardware_report").data["token"] == "banc 3"
    unreadable = client.post(
        f"/api/v1/devices/{device.public_code}/hardware-reports/",
        {"report": "not a report"},
        format="json",
    )
    assert unreadable.status_code == 400 and unreadable.json()["message"]


def test_erasure_log_records_one_erasure_per_disk(api, technician, refurbisher):
    raw = (FIXTURES / "nwipe/nwipe-0.33-dodshort-two-loops-vm.serials-edited.log").read_bytes()
    device = DeviceFactory(owner=refurbisher, state="triage")
    client = api(technician, "pool", name="nwipe banc")
    url = f"/api/v1/devices/{device.public_code}/erasure-logs/"
    payload = {"log_base64": base64.b64encode(raw).decode()}
    # The device has no medium yet: refused whole, nothing written.
    refused = client.post(url, payload, format="json")
    assert refused.status_code == 400
    assert "support" in refused.json()["message"]
    assert not ErasureRecord.objects.exists()
    from parc.evidence.erasure_logs import parse_log

    for disk in parse_log(raw).disks:
        StorageMediumFactory(device=device, serial=disk.serial)
    response = client.post(url, payload, format="json")
    assert response.status_code == 201, response.json()
    assert len(response.json()["erasures"]) == len(parse_log(raw).disks)
    assert device.events.get(action="erasure_log").data["token"] == "nwipe banc"
    again = client.post(url, payload, format="json")
    assert again.json()["erasures"] == [] and again.json()["already_recorded"]
    assert client.post(url, {}, format="json").status_code == 400
    assert client.post(url, {"log_base64": "%%%"}, format="json").status_code == 400


def test_history(api, technician, refurbisher, outsider):
    device = DeviceFactory(owner=refurbisher)
    client = api(technician, "pool", name="histo")
    client.post(f"/api/v1/devices/{device.public_code}/transitions/start_triage/")
    events = client.get(f"/api/v1/devices/{device.public_code}/history/").json()
    assert events[0]["action"] == "start_triage"
    assert events[0]["data"]["token"] == "histo"
    assert (
        api(outsider, "read").get(f"/api/v1/devices/{device.public_code}/history/").status_code
        == 404
    )


def test_storage_media_of_devices_outside_are_untouched(api, outsider, refurbisher):
    device = DeviceFactory(owner=refurbisher)
    api(outsider, "pool").post(
        f"/api/v1/devices/{device.public_code}/media/", {"media_type": "hdd"}, format="json"
    )
    assert not StorageMedium.objects.exists()
    assert not DeviceEvent.objects.exists()


def test_a_body_too_large_is_refused_before_it_is_read(api, technician):
    client = api(technician, "pool")
    response = client.post(
        "/api/v1/devices/",
        data=b"{" + b" " * (6 * 1024 * 1024) + b"}",
        content_type="application/json",
    )
    assert response.status_code == 413 and response.json()["code"] == "too_large"
