"""The pages composed on the top floor: what each shows from the apps below, and how the
pages of the lower floors lead to them."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.acteurs.factories import HouseholdFactory, MembershipFactory, UserFactory
from tests.dons.factories import DonationFactory, DonationLineFactory, GisementFactory
from tests.parc.factories import DeviceFactory

pytestmark = pytest.mark.django_db


def test_the_gisement_page_counts_each_donations_registered_devices(client, staff, refurbisher):
    gisement = GisementFactory(refurbisher=refurbisher)
    with_devices = DonationFactory(gisement=gisement, state="received")
    without = DonationFactory(gisement=gisement)
    DeviceFactory.create_batch(3, owner=refurbisher, donation=with_devices)
    DeviceFactory(owner=refurbisher, donation=DonationFactory(gisement=GisementFactory()))
    client.force_login(staff)
    response = client.get(reverse("www:gisement", args=[gisement.pk]))
    counts = {donation.pk: donation.device_count for donation in response.context["page"]}
    assert counts == {with_devices.pk: 3, without.pk: 0}
    body = response.content.decode()
    assert f'href="{reverse("www:donation", args=[with_devices.pk])}"' in body


def test_the_donation_page_lists_its_devices_and_where_they_are(client, staff, refurbisher):
    donation = DonationFactory(gisement=GisementFactory(refurbisher=refurbisher), state="received")
    DonationLineFactory(donation=donation, kind="laptop", quantity=4)
    ready = DeviceFactory(owner=refurbisher, donation=donation, kind="laptop", state="ready")
    DeviceFactory(owner=refurbisher, donation=donation, kind="screen", state="recycled")
    DeviceFactory(owner=refurbisher)  # no donation
    client.force_login(staff)
    response = client.get(reverse("www:donation", args=[donation.pk]))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 2
    body = response.content.decode()
    assert f'href="{reverse("parc:device", args=[ready.public_code])}"' in body
    progress = response.context["progress"]
    assert progress.total == 2
    assert {row["kind"]: (row["declared"], row["received"]) for row in progress.by_kind} == {
        "laptop": (4, 1),
        "screen": (None, 1),
    }


def test_lower_floor_pages_lead_to_the_composed_pages(client, staff, refurbisher):
    """A donation's edit form (dons) and the household form (acteurs) send people back to
    the pages composed above, through the model: same addresses as before."""
    gisement = GisementFactory(refurbisher=refurbisher)
    donation = DonationFactory(gisement=gisement)
    client.force_login(staff)
    edit = client.get(reverse("dons:donation_edit", args=[donation.pk])).content.decode()
    assert f'href="/dons/don/{donation.pk}/"' in edit
    response = client.post(reverse("dons:donor_link_revoke", args=[donation.pk]))
    assert response["Location"] == f"/dons/don/{donation.pk}/"
    assert reverse("www:gisement", args=[gisement.pk]) == f"/dons/gisements/{gisement.pk}/"
    household = HouseholdFactory(organisation=refurbisher)
    form = client.get(reverse("household_edit", args=[household.pk])).content.decode()
    assert f'href="/foyers/{household.pk}/"' in form


def test_the_household_page_opens_the_doors_each_user_may_use(client, prescriber):
    household = HouseholdFactory(organisation=prescriber.memberships.get().organisation)
    workshops = reverse("ateliers:household", args=[household.pk])
    equipment = reverse("prets:household", args=[household.pk])
    client.force_login(prescriber)
    body = client.get(reverse("www:household", args=[household.pk])).content.decode()
    assert f'href="{workshops}"' in body
    assert f'href="{equipment}"' in body
    facilitator = UserFactory()
    MembershipFactory(user=facilitator, organisation=household.organisation, role="facilitator")
    client.force_login(facilitator)
    body = client.get(reverse("www:household", args=[household.pk])).content.decode()
    assert f'href="{workshops}"' in body
    assert equipment not in body


def test_the_home_page_of_someone_without_an_organisation_says_what_to_do(client):
    client.force_login(UserFactory())
    body = client.get(reverse("www:home")).content.decode()
    assert "Demandez à la coordination de vous ajouter" in body


def test_the_receipt_is_a_private_inline_pdf(client, staff, refurbisher):
    donation = DonationFactory(
        gisement=GisementFactory(refurbisher=refurbisher),
        state="received",
        received_on=timezone.localdate(),
    )
    DeviceFactory(owner=refurbisher, donation=donation)
    client.force_login(staff)
    response = client.get(reverse("www:donation_receipt", args=[donation.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"] == f'inline; filename="attestation-don-{donation.pk}.pdf"'
    )
    assert "no-store" in response["Cache-Control"]


def test_the_donation_and_gisement_pages_link_to_their_reports_for_who_may_read_them(
    client, staff, technician, refurbisher
):
    """The single-donation report (``rapports:don``) was reachable by its address only: the
    donation page links it, the gisement page links the gisement's, for the team that may
    read reports (admins, staff); a technician sees the donation but not its report."""
    gisement = GisementFactory(refurbisher=refurbisher)
    donation = DonationFactory(gisement=gisement, state="received")
    report = reverse("rapports:don", args=[donation.pk])
    gisement_report = reverse("rapports:gisement", args=[gisement.pk])

    client.force_login(staff)
    body = client.get(reverse("www:donation", args=[donation.pk])).content.decode()
    assert f'href="{report}"' in body
    assert "Rapport de ce don" in body
    assert client.get(report).status_code == 200
    body = client.get(reverse("www:gisement", args=[gisement.pk])).content.decode()
    assert f'href="{gisement_report}"' in body

    client.force_login(technician)
    response = client.get(reverse("www:donation", args=[donation.pk]))
    assert response.status_code == 200
    assert f'href="{report}"' not in response.content.decode()
    assert client.get(report).status_code == 404
    body = client.get(reverse("www:gisement", args=[gisement.pk])).content.decode()
    assert f'href="{gisement_report}"' not in body


def test_the_report_link_follows_the_report_scope_of_a_funder():
    from acteurs.models import Organisation
    from rapports.access import may_report_on
    from rapports.models import Funding

    refurbisher = Organisation.objects.create(name="Atelier", is_refurbisher=True)
    funder_org = Organisation.objects.create(name="Région", is_funder=True)
    funder = UserFactory(username="financeur")
    MembershipFactory(user=funder, organisation=funder_org, role="funder")
    funded = GisementFactory(refurbisher=refurbisher)
    other = GisementFactory(refurbisher=refurbisher)
    Funding.objects.create(name="Plan", funder=funder_org, gisement=funded)
    assert may_report_on(funder, funded)
    assert not may_report_on(funder, other)
