"""The device's « Temps de travail et pièces » page (issue 15): the pool's members record
their own work time and take parts from the stock; others meet a 404 or a 403; a bounded
number of queries."""

import pytest
from django.urls import reverse

from parc.models import Part, PartUse, WorkTime
from tests.acteurs.factories import MembershipFactory, UserFactory
from tests.parc.factories import DeviceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def device(refurbisher):
    return DeviceFactory(owner=refurbisher, state="refurbishing")


@pytest.fixture
def battery(refurbisher):
    return Part.objects.create(
        organisation=refurbisher,
        category="battery",
        label="Batterie 4 cellules",
        unit_cost=25,
        quantity=1,
    )


def url(device):
    return reverse("parc:work_and_parts", args=[device.public_code])


def test_record_work_time_and_take_a_part(client, technician, device, battery):
    client.force_login(technician)
    response = client.post(
        url(device),
        {"temps-stage": "mark_ready", "temps-minutes": "75", "temps-supported_minutes": "30"},
    )
    assert response.status_code == 302
    assert WorkTime.objects.get().supported_minutes == 30
    response = client.post(url(device), {"piece-part": battery.pk, "piece-quantity": "1"})
    assert response.status_code == 302
    assert PartUse.objects.get().unit_cost == 25
    page = client.get(url(device)).content.decode()
    assert "Reconditionnement et tests : 75 min" in page
    assert "stock de pièces de l'organisation est vide" in page


def test_supported_minutes_beyond_the_total_are_refused(client, technician, device):
    client.force_login(technician)
    response = client.post(
        url(device),
        {"temps-stage": "wipe", "temps-minutes": "10", "temps-supported_minutes": "30"},
        follow=True,
    )
    assert "dépassent le temps total" in response.content.decode()
    assert not WorkTime.objects.exists()


def test_others_cannot(client, device, other_refurbisher, prescriber):
    stranger = UserFactory(username="etranger")
    MembershipFactory(user=stranger, organisation=other_refurbisher, role="technician")
    client.force_login(stranger)
    assert client.get(url(device)).status_code == 404
    client.force_login(prescriber)
    assert client.get(url(device)).status_code in (403, 404)


@pytest.mark.parametrize("rows", [1, 8])
def test_query_budget(client, technician, device, battery, rows, django_assert_max_num_queries):
    for stage in ("register", "wipe", "mark_ready")[: min(rows, 3)]:
        WorkTime.objects.create(
            device=device, device_cycle=1, stage=stage, minutes=10, recorded_by=technician
        )
    for _ in range(rows):
        PartUse.objects.create(
            device=device, part=battery, quantity=1, unit_cost=25, used_by=technician
        )
    client.force_login(technician)
    with django_assert_max_num_queries(10):
        assert client.get(url(device)).status_code == 200
