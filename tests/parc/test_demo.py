"""The demonstration data: every state, coherent histories, the invariants, idempotence."""

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction
from django.test import RequestFactory
from django.utils import timezone

from acteurs.models import Organisation, User
from parc.demo import DEMO_ACCOUNTS, DEMO_ORGANISATION_NAME, DEMO_PASSWORD, load_demo
from parc.models import Device, DeviceEvent, State

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Load the demo once for the module, inside a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        summary = load_demo()
        yield summary
        transaction.set_rollback(True)


def _counts():
    return (
        Organisation.objects.count(),
        User.objects.count(),
        Device.objects.count(),
        DeviceEvent.objects.count(),
    )


def test_creates_a_pool_in_every_state(demo):
    assert demo is not None
    assert Device.objects.count() >= 250
    states = set(Device.objects.values_list("state", flat=True))
    assert states == set(State.values)
    owner = Organisation.objects.get(name=DEMO_ORGANISATION_NAME)
    assert owner.is_refurbisher
    assert owner.stock_locations.count() == 4
    assert Device.objects.filter(location__isnull=False).exists()


def test_histories_chain_from_registration(demo):
    events_by_device = {}
    for event in DeviceEvent.objects.order_by("id"):
        events_by_device.setdefault(event.device_id, []).append(event)
    assert len(events_by_device) == Device.objects.count()
    now = timezone.now()
    for device in Device.objects.all():
        events = events_by_device[device.pk]
        first = events[0]
        assert (first.action, first.source_state) == ("register", "")
        for previous, event in zip(events, events[1:], strict=False):
            assert event.source_state == previous.target_state, (device, event)
            assert event.at >= previous.at, (device, event)
        assert events[-1].target_state == device.state
        assert events[-1].at <= now
    # Spread over the last months, not all "now".
    first_events = [events[0].at for events in events_by_device.values()]
    assert (max(first_events) - min(first_events)).days > 120


def test_returned_devices_started_a_new_cycle(demo):
    assert Device.objects.filter(cycle__gt=1).exists()
    assert DeviceEvent.objects.filter(action="take_back").exists()
    assert DeviceEvent.objects.filter(action="erasure", data__result="failed").exists()


def test_no_ready_device_lacks_an_erasure(demo):
    ready = Device.objects.filter(state=State.READY).prefetch_related(
        "storage_media__erasures", "refurbishments"
    )
    for device in ready:
        assert device.media_lacking_erasure() == [], device
        assert not device.storage_missing(), device
        assert device.functional_test_passed(), device
        assert device.grade


def test_second_run_creates_nothing(demo, capsys):
    before = _counts()

    assert load_demo() is None
    call_command("load_demo")

    assert _counts() == before
    assert "déjà chargées" in capsys.readouterr().out


@pytest.mark.parametrize("username", [account[0] for account in DEMO_ACCOUNTS])
def test_demo_users_can_log_in(demo, username):
    # The login lockout (django-axes) needs the request an attempt comes from.
    request = RequestFactory().post("/comptes/login/")
    user = authenticate(request, username=username, password=DEMO_PASSWORD)
    assert user is not None
    assert user.memberships.exists()
    # Nobody in the demo is a superuser: superusers are operators (createsuperuser).
    assert not user.is_superuser
