"""Two people taking the last seat at once: exactly one gets it, the other is put on the
waiting list. Run on PostgreSQL with two real connections (threads); SQLite serialises
writers and proves nothing about row locks, so these tests are skipped there."""

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from ateliers import services
from ateliers.models import Enrolment
from core.errors import ApplicationError
from tests.acteurs.factories import HouseholdFactory
from tests.ateliers.factories import SessionFactory
from tests.parc.test_concurrency import in_thread

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def last_seat(association, facilitator, ccas, prescriber, staff):
    session = SessionFactory(
        organisation=association,
        facilitator=facilitator,
        capacity=3,
        starts_at=timezone.now() + timezone.timedelta(days=2),
        ends_at=timezone.now() + timezone.timedelta(days=2, hours=2),
    )
    for name in ("Déjà 1", "Déjà 2"):
        services.enrol(
            session.pk, HouseholdFactory(organisation=ccas, name=name).pk, actor=prescriber
        )
    return session


def test_two_people_take_the_last_seat_at_once(last_seat, ccas, prescriber):
    colleague_household = HouseholdFactory(organisation=ccas, name="Mme Lebrun")
    household = HouseholdFactory(organisation=ccas, name="M. Morel")
    barrier = threading.Barrier(2)
    results = {}

    def take(household_id):
        def target():
            barrier.wait(timeout=10)
            return services.enrol(last_seat.pk, household_id, actor=prescriber)

        return target

    threads = [
        in_thread(take(colleague_household.pk), results, "first"),
        in_thread(take(household.pk), results, "second"),
    ]
    for thread in threads:
        thread.join(timeout=30)
    assert all(isinstance(r, Enrolment) for r in results.values()), results
    assert sorted(r.status for r in results.values()) == ["confirmed", "waiting"]
    assert last_seat.enrolments.filter(status="confirmed").count() == 3


def test_the_second_waits_for_the_first_lock_then_counts_again(last_seat, ccas, prescriber):
    locked, release = threading.Event(), threading.Event()
    first_household = HouseholdFactory(organisation=ccas, name="Premier")
    second_household = HouseholdFactory(organisation=ccas, name="Second")
    results = {}

    def first():
        with transaction.atomic():
            enrolment = services.enrol(last_seat.pk, first_household.pk, actor=prescriber)
            locked.set()
            release.wait(timeout=10)  # hold the session row lock while the other one tries
            return enrolment

    def second():
        locked.wait(timeout=10)
        return services.enrol(last_seat.pk, second_household.pk, actor=prescriber)

    a = in_thread(first, results, "first")
    b = in_thread(second, results, "second")
    locked.wait(timeout=10)
    b.join(timeout=1)
    assert b.is_alive(), "the second enrolment must wait for the first one's session lock"
    release.set()
    a.join(timeout=10)
    b.join(timeout=10)
    assert results["first"].status == "confirmed"
    assert results["second"].status == "waiting"


def test_the_same_household_enrolled_twice_at_once_gets_one_enrolment_and_a_message(
    last_seat, ccas, prescriber, staff
):
    household = HouseholdFactory(organisation=ccas, name="Mme Double")
    barrier = threading.Barrier(2)
    results = {}

    def enrol():
        barrier.wait(timeout=10)
        try:
            return services.enrol(last_seat.pk, household.pk, actor=prescriber)
        finally:
            connection.close()

    threads = [in_thread(enrol, results, key) for key in ("first", "second")]
    for thread in threads:
        thread.join(timeout=30)
    outcomes = sorted(type(r).__name__ for r in results.values())
    assert outcomes == ["Enrolment", "Refused"]
    error = next(r for r in results.values() if isinstance(r, ApplicationError))
    assert "Mme Double est déjà inscrit" in error.message
    assert last_seat.enrolments.filter(household=household).count() == 1


def test_a_cancellation_and_an_enrolment_at_once_never_overbook(last_seat, ccas, prescriber):
    third = services.enrol(
        last_seat.pk, HouseholdFactory(organisation=ccas, name="Troisième").pk, actor=prescriber
    )
    waiting = services.enrol(
        last_seat.pk, HouseholdFactory(organisation=ccas, name="En attente").pk, actor=prescriber
    )
    assert (third.status, waiting.status) == ("confirmed", "waiting")
    newcomer = HouseholdFactory(organisation=ccas, name="Nouveau")
    barrier = threading.Barrier(2)
    results = {}

    def cancel():
        barrier.wait(timeout=10)
        return services.enrolment_cancel(third.pk, actor=prescriber)

    def enrol():
        barrier.wait(timeout=10)
        return services.enrol(last_seat.pk, newcomer.pk, actor=prescriber)

    threads = [in_thread(cancel, results, "cancel"), in_thread(enrol, results, "enrol")]
    for thread in threads:
        thread.join(timeout=30)
    # The freed seat goes to the first in line, never to the newcomer jumping the queue,
    # and never one seat too many.
    assert results["cancel"].pk == waiting.pk
    assert results["enrol"].status == "waiting"
    assert last_seat.enrolments.filter(status="confirmed").count() == 3


def test_two_imports_of_the_same_records_at_once_hold_each_record_once(association, facilitator):
    """Two ORDS files sharing 51 records, imported at the same moment: the second waits for
    the first (the organisation's imports run one at a time), then adds only its own 50."""
    from ateliers.models import Repair
    from tests.ords import upload

    header = "id,data_provider,country,product_category_id,repair_status,event_date"

    def ords_file(ids):
        lines = [f"k-{n},Repair Café Nogent,FRA,14,Fixed,2024-03-02" for n in ids]
        return ("\r\n".join([header, *lines]) + "\r\n").encode()

    first, second = (
        services.repairs_import_preview(
            actor=facilitator, organisation=association, upload=upload(name, ords_file(ids))
        )
        for name, ids in (("a.csv", range(100)), ("b.csv", range(49, 150)))
    )
    inserted, release = threading.Event(), threading.Event()
    results = {}

    def import_first():
        with transaction.atomic():
            batch = services.repairs_import_confirm(actor=facilitator, batch_pk=first.pk)
            inserted.set()
            release.wait(timeout=10)  # keep the rows uncommitted while the other one runs
            return batch

    def import_second():
        inserted.wait(timeout=10)
        return services.repairs_import_confirm(actor=facilitator, batch_pk=second.pk)

    a = in_thread(import_first, results, "first")
    b = in_thread(import_second, results, "second")
    inserted.wait(timeout=10)
    b.join(timeout=1)
    assert b.is_alive(), "the second import must wait for the first one"
    release.set()
    a.join(timeout=30)
    b.join(timeout=30)
    assert (results["first"].rows, results["first"].skipped) == (100, 0)
    assert (results["second"].rows, results["second"].skipped) == (50, 51)
    assert Repair.objects.count() == 150
    assert Repair.objects.values("external_id").distinct().count() == 150
