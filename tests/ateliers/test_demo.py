"""The demonstration workshops: loaded through the real services, coherent, idempotent."""

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from acteurs.models import Household
from ateliers.demo import load_demo_ateliers
from ateliers.models import Assessment, Enrolment, Repair, Session
from ateliers.selectors import household_attended, progress
from parc.demo import CCAS_CHARTRES, RNEL, load_demo
from parc.models import DeviceEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Both demos once for the module, inside a transaction rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        summary = load_demo_ateliers()
        yield summary
        transaction.set_rollback(True)


def test_the_workshops_of_the_demo(demo):
    assert demo["households"] == 12
    assert demo["sessions"] == 6
    assert Household.objects.filter(organisation__name=CCAS_CHARTRES).count() == 12
    now = timezone.now()
    sessions = Session.objects.filter(organisation__name=RNEL)
    assert sessions.filter(ends_at__lt=now).count() == 3
    assert sessions.filter(starts_at__gt=now).count() == 3
    # Past sessions have their attendance; future ones none, and one has a waiting list.
    past = Enrolment.objects.filter(session__ends_at__lt=now, status="confirmed")
    assert past.exists() and not past.filter(attendance="").exists()
    assert not Enrolment.objects.filter(session__starts_at__gt=now).exclude(attendance="").exists()
    assert Enrolment.objects.filter(session__starts_at__gt=now, status="waiting").count() == 2
    assert Enrolment.objects.filter(status="cancelled").count() == 1


def test_assessments_show_progress(demo):
    assert Assessment.objects.count() == demo["assessments"] == 11
    rows = progress(organisation_ids=list(Session.objects.values_list("organisation", flat=True)))
    assert all(row.households == 5 for row in rows)
    assert all(row.after >= row.before for row in rows)
    assert any(row.improved for row in rows)


def test_repairs_join_the_devices_history_in_order(demo):
    repairs = Repair.objects.filter(session__isnull=False)
    assert repairs.count() == demo["repairs"] == 10
    assert repairs.filter(device__isnull=False).count() == 3
    assert demo["averted_kg"] > 0
    for repair in repairs.filter(device__isnull=False):
        events = list(DeviceEvent.objects.filter(device=repair.device).order_by("id"))
        assert events[-1].action == "repair"
        assert events[-1].source_state == events[-1].target_state == repair.device.state
        assert all(a.at <= b.at for a, b in zip(events, events[1:], strict=False))


def test_households_attended_initiation(demo):
    lefebvre = Household.objects.get(name="Mme Lefebvre")
    since = timezone.localdate() - timezone.timedelta(days=90)
    assert household_attended(lefebvre.pk, "initiation", since)
    assert not household_attended(lefebvre.pk, "linux", since)


def test_loading_again_changes_nothing(demo):
    counts = (Session.objects.count(), Enrolment.objects.count(), Repair.objects.count())
    assert load_demo_ateliers() is None
    call_command("load_demo_ateliers")
    assert (Session.objects.count(), Enrolment.objects.count(), Repair.objects.count()) == counts
