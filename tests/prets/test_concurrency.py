"""Two staff members at once: allocating the same device to two requests, or two devices to
the same request — exactly one succeeds, the other is told, nothing half-done remains.

PostgreSQL with two real connections (threads); SQLite serialises writers and proves nothing.
"""

import threading

import pytest
from django.db import connection

from core.errors import ApplicationError
from parc.models import Device, DeviceEvent
from prets import services
from prets.models import Allocation, SaleCounter
from tests.parc.factories import DeviceFactory
from tests.prets.factories import DeviceRequestFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*targets):
    barrier = threading.Barrier(len(targets))
    results = [None] * len(targets)

    def runner(index, target):
        try:
            barrier.wait(timeout=10)
            results[index] = target()
        except Exception as error:  # the test inspects what each side got
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def errors(results):
    return [r for r in results if isinstance(r, Exception)]


def test_two_staff_allocate_the_same_device_to_two_requests(refurbisher, staff, household):
    other = _member_staff(refurbisher)
    first = DeviceRequestFactory(state="approved", refurbisher=refurbisher, household=household)
    second = DeviceRequestFactory(state="approved", refurbisher=refurbisher, household=household)
    device = DeviceFactory(owner=refurbisher, state="ready", grade="A")
    results = race(
        lambda: services.device_allocate(first.pk, device.pk, staff),
        lambda: services.device_allocate(second.pk, device.pk, other),
    )
    assert len(errors(results)) == 1, results
    error = errors(results)[0]
    assert isinstance(error, ApplicationError)
    assert device.public_code in error.message or "changé" in error.message
    assert Allocation.objects.filter(device=device, status="active").count() == 1
    assert Device.objects.get(pk=device.pk).state == "allocated"
    assert DeviceEvent.objects.filter(device=device, action="allocate").count() == 1


def test_two_staff_allocate_two_devices_to_the_same_request(refurbisher, staff, household):
    other = _member_staff(refurbisher)
    request = DeviceRequestFactory(state="approved", refurbisher=refurbisher, household=household)
    a = DeviceFactory(owner=refurbisher, state="ready", grade="A")
    b = DeviceFactory(owner=refurbisher, state="ready", grade="B")
    results = race(
        lambda: services.device_allocate(request.pk, a.pk, staff),
        lambda: services.device_allocate(request.pk, b.pk, other),
    )
    assert len(errors(results)) == 1, results
    assert "déjà réservé" in errors(results)[0].message
    assert Allocation.objects.filter(request=request, status="active").count() == 1
    states = sorted(Device.objects.filter(pk__in=[a.pk, b.pk]).values_list("state", flat=True))
    assert states == ["allocated", "ready"]


def test_two_sales_at_once_take_consecutive_numbers(refurbisher, staff, household):
    from decimal import Decimal

    other = _member_staff(refurbisher)
    requests = []
    for _ in range(2):
        request = DeviceRequestFactory(
            state="approved", refurbisher=refurbisher, household=household, mode="purchase"
        )
        services.device_allocate(
            request.pk, DeviceFactory(owner=refurbisher, state="ready", grade="B").pk, staff
        )
        requests.append(request)
    results = race(
        lambda: services.sale_create(
            requests[0].pk, staff, price=Decimal("50"), payment_method="cash"
        ),
        lambda: services.sale_create(
            requests[1].pk, other, price=Decimal("50"), payment_method="cash"
        ),
    )
    assert not errors(results), results
    assert sorted(sale.number for sale in results) == [1, 2]
    assert SaleCounter.objects.get(organisation=refurbisher).last_number == 2


def _member_staff(refurbisher):
    from tests.acteurs.factories import MembershipFactory, UserFactory

    user = UserFactory(username="equipe-2")
    MembershipFactory(user=user, organisation=refurbisher, role="staff")
    return user
