"""Two people acting on one device at once: exactly one succeeds, the other is told.

Run on PostgreSQL with two real connections (threads); SQLite serialises writers and proves
nothing about row locks, so these tests are skipped there.
"""

import threading

import pytest
from django.db import connection, transaction

from core.errors import Changed
from parc import services
from parc.models import Device, DeviceEvent
from tests.parc.factories import DeviceFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def in_thread(target, results, key):
    def runner():
        try:
            results[key] = target()
        except Exception as error:  # the test inspects what each side got
            results[key] = error
        finally:
            connection.close()

    thread = threading.Thread(target=runner)
    thread.start()
    return thread


def test_two_technicians_at_once_one_succeeds_the_other_is_told(refurbisher, technician, staff):
    device = DeviceFactory(owner=refurbisher)
    barrier = threading.Barrier(2)
    results = {}

    def act(user):
        def target():
            barrier.wait(timeout=10)
            return services.device_start_triage(device.pk, user, expected_state="registered")

        return target

    threads = [
        in_thread(act(technician), results, "first"),
        in_thread(act(staff), results, "second"),
    ]
    for thread in threads:
        thread.join(timeout=30)
    outcomes = sorted(type(r).__name__ for r in results.values())
    assert outcomes == ["Changed", "DeviceEvent"]
    assert Device.objects.get(pk=device.pk).state == "triage"
    assert DeviceEvent.objects.filter(device=device).count() == 1


def test_the_second_waits_for_the_first_lock_then_sees_the_new_state(refurbisher, technician):
    device = DeviceFactory(owner=refurbisher, state="triage", kind="screen")
    locked, release = threading.Event(), threading.Event()
    results = {}

    def first():
        with transaction.atomic():
            event = services.device_wipe(device.pk, technician, expected_state="triage")
            locked.set()
            release.wait(timeout=10)  # keep the row lock while the other one tries
            return event

    def second():
        locked.wait(timeout=10)
        return services.device_dismantle(device.pk, technician, expected_state="triage")

    a = in_thread(first, results, "first")
    b = in_thread(second, results, "second")
    locked.wait(timeout=10)
    b.join(timeout=1)
    assert b.is_alive(), "the second action must wait for the first one's row lock"
    release.set()
    a.join(timeout=10)
    b.join(timeout=10)
    assert isinstance(results["first"], DeviceEvent)
    assert isinstance(results["second"], Changed)
    assert "Données effacées" in results["second"].message
    assert list(DeviceEvent.objects.filter(device=device).values_list("action", flat=True)) == [
        "wipe"
    ]
