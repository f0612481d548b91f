"""The admin's transition buttons go through the services: event written, rules kept."""

import pytest
from django.urls import reverse

from parc.models import Device, DeviceEvent
from tests.acteurs.factories import UserFactory
from tests.parc.factories import DeviceFactory, StorageMediumFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def change_url(device):
    return reverse("admin:parc_device_change", args=[device.pk])


def test_admin_transition_button_writes_the_event(admin_client, refurbisher):
    device = DeviceFactory(owner=refurbisher)
    page = admin_client.get(change_url(device))
    assert "Commencer le diagnostic" in page.content.decode()
    admin_client.post(
        change_url(device),
        {"_fsm_transition_to": "start_triage", **_form_data(device)},
    )
    assert Device.objects.get(pk=device.pk).state == "triage"
    event = DeviceEvent.objects.get(device=device)
    assert (event.action, event.actor.username) == ("start_triage", "root")


def test_admin_cannot_bypass_the_erasure_invariant(admin_client, refurbisher):
    device = DeviceFactory(owner=refurbisher, state="triage")
    StorageMediumFactory(device=device)
    response = admin_client.post(
        change_url(device),
        {"_fsm_transition_to": "recycle", **_form_data(device)},
        follow=True,
    )
    assert "Effacement manquant" in response.content.decode()
    assert Device.objects.get(pk=device.pk).state == "triage"
    assert not DeviceEvent.objects.exists()


def test_admin_history_is_read_only(admin_client, refurbisher):
    device = DeviceFactory(owner=refurbisher)
    assert admin_client.get(reverse("admin:parc_deviceevent_add")).status_code == 403
    assert (
        admin_client.get(reverse("admin:parc_device_delete", args=[device.pk])).status_code == 403
    )


def _form_data(device):
    media = device.storage_media.count()
    data = {
        "kind": device.kind,
        "brand": device.brand,
        "model": device.model,
        "serial": device.serial,
        "owner": device.owner_id,
        "grade": device.grade,
        "storage_media-TOTAL_FORMS": str(media),
        "storage_media-INITIAL_FORMS": str(media),
        "storage_media-MIN_NUM_FORMS": "0",
        "storage_media-MAX_NUM_FORMS": "1000",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
        "events-MIN_NUM_FORMS": "0",
        "events-MAX_NUM_FORMS": "1000",
    }
    for index, medium in enumerate(device.storage_media.all()):
        prefix = f"storage_media-{index}-"
        data |= {
            f"{prefix}id": medium.pk,
            f"{prefix}device": device.pk,
            f"{prefix}media_type": medium.media_type,
            f"{prefix}manufacturer": medium.manufacturer,
            f"{prefix}model": medium.model,
            f"{prefix}serial": medium.serial,
            f"{prefix}capacity_gb": medium.capacity_gb,
        }
    return data
