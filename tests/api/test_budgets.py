"""Query budgets of the detail endpoints and the short lists: the same number of queries
with 3 related rows or 20 (no query per row)."""

import pytest
from django.utils import timezone

from parc.models import DeviceEvent
from prets.models import RequestEvent
from tests.acteurs.factories import HouseholdFactory, MembershipFactory, UserFactory
from tests.ateliers.factories import EnrolmentFactory, SessionFactory
from tests.dons.factories import DonationFactory, DonationLineFactory, GisementFactory
from tests.parc.factories import DeviceFactory, ErasureRecordFactory, StorageMediumFactory
from tests.prets.factories import DeviceRequestFactory, LoanFactory

pytestmark = pytest.mark.django_db


def same_budget(client, url, grow, django_assert_max_num_queries, budget):
    client.get(url)  # the token's last use written once
    with django_assert_max_num_queries(budget):
        assert client.get(url).status_code == 200
    grow()
    with django_assert_max_num_queries(budget):
        assert client.get(url).status_code == 200


def test_device_history_media_and_erasures(
    api, technician, refurbisher, django_assert_max_num_queries
):
    device = DeviceFactory(owner=refurbisher)
    client = api(technician, "read")

    def add(n):
        for _ in range(n):
            medium = StorageMediumFactory(device=device)
            ErasureRecordFactory(medium=medium)
            DeviceEvent.objects.create(
                device=device, action="note", target_state="registered", actor=technician
            )

    add(3)
    code = device.public_code
    # token, roles, the device, then its rows (erasures: media, then their records).
    for path, budget in (("history/", 5), ("media/", 5), ("erasures/", 6)):
        same_budget(
            client,
            f"/api/v1/devices/{code}/{path}",
            lambda: add(7),
            django_assert_max_num_queries,
            budget,
        )


def test_donation_and_gisement_detail(api, technician, refurbisher, django_assert_max_num_queries):
    gisement = GisementFactory(refurbisher=refurbisher)
    donation = DonationFactory(gisement=gisement)
    DonationLineFactory(donation=donation, kind="laptop")
    client = api(technician, "read")
    kinds = iter(["desktop", "screen", "tablet", "smartphone", "printer"])
    same_budget(
        client,
        f"/api/v1/donations/{donation.pk}/",
        lambda: [DonationLineFactory(donation=donation, kind=next(kinds)) for _ in range(4)],
        django_assert_max_num_queries,
        5,
    )
    same_budget(
        client,
        f"/api/v1/gisements/{gisement.pk}/",
        lambda: [DonationFactory(gisement=gisement) for _ in range(10)],
        django_assert_max_num_queries,
        5,
    )


def test_request_detail_with_its_history(
    api, prescriber, refurbisher, django_assert_max_num_queries
):
    ccas = prescriber.memberships.get().organisation
    request = DeviceRequestFactory(
        household=HouseholdFactory(organisation=ccas), refurbisher=refurbisher
    )
    client = api(prescriber, "read")

    def events():
        for _ in range(15):
            RequestEvent.objects.create(
                request=request, action="note", target_state="draft", actor=prescriber
            )

    same_budget(client, f"/api/v1/requests/{request.pk}/", events, django_assert_max_num_queries, 6)
    household = request.household
    same_budget(
        client,
        f"/api/v1/households/{household.pk}/",
        lambda: None,
        django_assert_max_num_queries,
        4,
    )


def test_loan_detail(api, staff, refurbisher, django_assert_max_num_queries):
    loan = LoanFactory(request__refurbisher=refurbisher)
    same_budget(
        api(staff, "read"),
        f"/api/v1/loans/{loan.pk}/",
        lambda: None,
        django_assert_max_num_queries,
        4,
    )


def test_session_detail_enrolments_and_repairs(api, refurbisher, django_assert_max_num_queries):
    facilitator = UserFactory(username="anim")
    MembershipFactory(user=facilitator, organisation=refurbisher, role="facilitator")
    session = SessionFactory(organisation=refurbisher, facilitator=facilitator)
    for _ in range(3):
        EnrolmentFactory(session=session)
    client = api(facilitator, "read")
    session.capacity = 30
    session.save()
    same_budget(
        client,
        f"/api/v1/workshops/sessions/{session.pk}/enrolments/",
        lambda: [EnrolmentFactory(session=session) for _ in range(17)],
        django_assert_max_num_queries,
        5,
    )
    same_budget(
        client,
        f"/api/v1/workshops/sessions/{session.pk}/",
        lambda: None,
        django_assert_max_num_queries,
        4,
    )
    from ateliers.models import Repair

    repair_session = SessionFactory(
        organisation=refurbisher,
        starts_at=timezone.now() - timezone.timedelta(days=2),
        ends_at=timezone.now() - timezone.timedelta(days=2, hours=-2),
    )

    def repairs(n):
        for _ in range(n):
            Repair.objects.create(
                organisation=refurbisher,
                session=repair_session,
                product_category_id=16,
                status="Fixed",
                recorded_by=facilitator,
                event_date=timezone.localdate(repair_session.starts_at),
            )

    repairs(3)
    same_budget(
        client,
        "/api/v1/workshops/repairs/?page_size=30",
        lambda: repairs(20),
        django_assert_max_num_queries,
        5,
    )
