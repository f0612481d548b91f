"""A donation's devices as parc reads them for the pages composed above (www): the donor's
progress, the receipt's list, the counts of a page of donations."""

import pytest

from parc import selectors
from parc.models import DeviceKind, State
from tests.dons.factories import DonationFactory, DonationLineFactory
from tests.parc.factories import DeviceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def donation(refurbisher):
    return DonationFactory(gisement__refurbisher=refurbisher, state="received")


def test_the_progress_counts_every_device_once_whatever_its_state(donation, refurbisher):
    """A state no bucket holds would drop devices from the donor's page."""
    for state in State:
        DeviceFactory(owner=refurbisher, donation=donation, state=state)
    progress = selectors.donation_progress(donation)
    assert progress.total == len(State)
    assert sum(bucket["count"] for bucket in progress.buckets) == len(State)
    counts = {bucket["code"]: bucket["count"] for bucket in progress.buckets}
    assert counts["received"] == 2  # registered, in triage
    assert counts["handed_on"] == 2  # on loan, transferred


def test_the_progress_sets_what_was_declared_beside_what_was_registered(donation, refurbisher):
    DonationLineFactory(donation=donation, kind="screen", quantity=2)
    DonationLineFactory(donation=donation, kind="laptop", quantity=5)
    DeviceFactory.create_batch(3, owner=refurbisher, donation=donation, kind="laptop")
    DeviceFactory(owner=refurbisher, donation=donation, kind="tablet")
    DeviceFactory(owner=refurbisher, kind="printer")  # another donation's: not counted
    rows = selectors.donation_progress(donation).by_kind
    # In the order of the kinds; a kind neither declared nor received is left out.
    assert [(row["kind"], row["declared"], row["received"]) for row in rows] == [
        (DeviceKind.LAPTOP, 5, 3),
        (DeviceKind.SCREEN, 2, 0),
        (DeviceKind.TABLET, None, 1),
    ]


def test_the_receipt_lists_the_devices_by_kind(donation, refurbisher):
    DeviceFactory(owner=refurbisher, donation=donation, kind="screen", brand="Iiyama")
    DeviceFactory(owner=refurbisher, donation=donation, kind="laptop", brand="HP", serial="B")
    DeviceFactory(owner=refurbisher, donation=donation, kind="laptop", brand="Dell", serial="Z")
    groups = selectors.devices_received_by_kind(donation)
    assert [(group["label"], len(group["devices"])) for group in groups] == [
        ("ordinateur portable", 2),
        ("écran", 1),
    ]
    assert [device["brand"] for device in groups[0]["devices"]] == ["Dell", "HP"]


def test_device_counts_for_a_page_of_donations(refurbisher, django_assert_num_queries):
    first, second, empty = DonationFactory.create_batch(3, gisement__refurbisher=refurbisher)
    DeviceFactory.create_batch(2, owner=refurbisher, donation=first)
    DeviceFactory(owner=refurbisher, donation=second)
    with django_assert_num_queries(1):
        counts = selectors.device_counts_by_donation([first.pk, second.pk, empty.pk])
    assert counts == {first.pk: 2, second.pk: 1}


def test_a_donations_devices_newest_first(donation, refurbisher):
    older = DeviceFactory(owner=refurbisher, donation=donation)
    newer = DeviceFactory(owner=refurbisher, donation=donation)
    DeviceFactory(owner=refurbisher)
    assert list(selectors.donation_devices(donation)) == [newer, older]
