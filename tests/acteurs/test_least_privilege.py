"""Least privilege: the coordination does its job without being a superuser; the admin shows
households only to their organisation's admins (read-only, no delete page); an operator's
(superuser's) reads of households are recorded and shown to the organisation's admins."""

import pytest
from django.urls import reverse

from acteurs.models import Household, Membership, PersonalDataAccess
from rapports.models import Funding
from tests.acteurs.factories import (
    HouseholdFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db, refurbisher):
    departement = OrganisationFactory(
        name="Département", is_coordinator=True, is_funder=True, is_prescriber=True
    )
    ccas = OrganisationFactory(name="CCAS de Lucé", is_prescriber=True)
    coordination = UserFactory(username="coord", is_staff=True)
    MembershipFactory(user=coordination, organisation=departement, role="admin")
    ccas_admin = UserFactory(username="ccas-admin", is_staff=True)
    MembershipFactory(user=ccas_admin, organisation=ccas, role="admin")
    operator = UserFactory(
        username="operateur",
        first_name="Olga",
        last_name="Opératrice",
        is_superuser=True,
        is_staff=True,
    )
    return {
        "departement": departement,
        "ccas": ccas,
        "coordination": coordination,
        "ccas_admin": ccas_admin,
        "operator": operator,
        "ccas_household": HouseholdFactory(organisation=ccas, name="Mme Garcia"),
        "departement_household": HouseholdFactory(organisation=departement, name="M. Morel"),
        "refurbisher": refurbisher,
    }


def test_the_coordination_manages_the_platform_in_the_admin_without_being_superuser(client, world):
    client.force_login(world["coordination"])
    assert not world["coordination"].is_superuser
    for name in (
        "admin:index",
        "admin:acteurs_organisation_changelist",
        "admin:acteurs_organisation_add",
        "admin:acteurs_user_changelist",
        "admin:acteurs_membership_add",
        "admin:rapports_funding_changelist",
        "admin:rapports_funding_add",
        "admin:prets_eligibilitycriterion_changelist",
        "admin:prets_handoverpolicy_changelist",
        "admin:parc_stocklocation_add",
        "admin:ateliers_workshoptype_changelist",
    ):
        assert client.get(reverse(name)).status_code == 200, name
    # Not the operators' tools: device history, erasure records, lockout records.
    for name in ("admin:parc_deviceevent_changelist", "admin:axes_accessattempt_changelist"):
        assert client.get(reverse(name)).status_code == 403, name


def test_the_coordination_reaches_its_pages_and_exports(client, world):
    client.force_login(world["coordination"])
    for name in (
        "parc:list",
        "parc:export_csv",
        "dons:gisements",
        "rapports:index",
        "rapports:dashboards",
        "rapports:pool_dashboard",
        "rapports:loan_report",
        "rapports:roadmap",
        "rapports:open_data",
        "rapports:open_data_csv",
        "ateliers:sessions",
    ):
        assert client.get(reverse(name)).status_code == 200, name


def test_admin_households_only_for_their_organisations_admins(client, world):
    client.force_login(world["coordination"])
    listing = client.get(reverse("admin:acteurs_household_changelist"))
    assert listing.status_code == 200
    text = listing.content.decode()
    assert "M. Morel" in text  # the Département's own household
    assert "Mme Garcia" not in text  # the CCAS's
    other = world["ccas_household"]
    assert client.get(reverse("admin:acteurs_household_change", args=[other.pk])).status_code in (
        302,
        403,
        404,
    )
    client.force_login(world["ccas_admin"])
    text = client.get(reverse("admin:acteurs_household_changelist")).content.decode()
    assert "Mme Garcia" in text and "M. Morel" not in text


def test_staff_and_prescribers_see_no_household_in_the_admin(client, world):
    prescriber = UserFactory(username="presc", is_staff=True)
    MembershipFactory(user=prescriber, organisation=world["ccas"], role="prescriber")
    client.force_login(prescriber)
    assert client.get(reverse("admin:acteurs_household_changelist")).status_code == 403


def test_no_one_deletes_or_edits_a_household_in_the_admin(client, world):
    household = world["ccas_household"]
    for user in (world["ccas_admin"], world["operator"]):
        client.force_login(user)
        delete = client.get(reverse("admin:acteurs_household_delete", args=[household.pk]))
        assert delete.status_code == 403
        changed = client.post(
            reverse("admin:acteurs_household_change", args=[household.pk]),
            {"name": "Autre nom"},
        )
        assert changed.status_code == 403
        listing = client.get(reverse("admin:acteurs_household_changelist")).content.decode()
        assert "delete_selected" not in listing
    assert Household.objects.get(pk=household.pk).name == "Mme Garcia"


def test_the_coordination_cannot_grant_itself_roles_nor_touch_operators(client, world):
    coordination = world["coordination"]
    client.force_login(coordination)
    response = client.post(
        reverse("admin:acteurs_membership_add"),
        {"user": coordination.pk, "organisation": world["ccas"].pk, "role": "admin"},
    )
    assert response.status_code == 200  # the form again, with the refusal
    assert "vos propres rôles" in response.content.decode()
    assert not Membership.objects.filter(user=coordination, organisation=world["ccas"]).exists()
    # Operators' accounts are not theirs to see; nor is anyone's superuser flag or password.
    operator = world["operator"]
    assert client.get(reverse("admin:acteurs_user_change", args=[operator.pk])).status_code in (
        302,
        404,
    )
    ccas_admin = world["ccas_admin"]
    page = client.get(reverse("admin:acteurs_user_change", args=[ccas_admin.pk]))
    assert page.status_code == 200
    assert 'name="is_superuser"' not in page.content.decode()
    password = reverse("admin:auth_user_password_change", args=[ccas_admin.pk])
    assert client.get(password).status_code == 403


def test_the_coordination_records_fundings(client, world):
    client.force_login(world["coordination"])
    response = client.post(
        reverse("admin:rapports_funding_add"),
        {
            "funder": world["departement"].pk,
            "name": "Plan 2026",
            "refurbisher": world["refurbisher"].pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Funding.objects.filter(name="Plan 2026").exists()


def test_operator_reads_are_recorded_and_shown_to_the_organisation_admin(client, world):
    household = world["ccas_household"]
    client.force_login(world["operator"])
    assert client.get(reverse("admin:acteurs_household_changelist")).status_code == 200
    assert (
        client.get(reverse("admin:acteurs_household_change", args=[household.pk])).status_code
        == 200
    )
    records = PersonalDataAccess.objects.filter(household=household)
    assert {r.action for r in records} == {"list", "view"}
    assert all(r.by_operator and r.user_label == "Olga Opératrice" for r in records)
    assert records.filter(organisation=world["ccas"]).count() == 2

    client.force_login(world["ccas_admin"])
    page = client.get(reverse("personal_data_accesses"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Olga Opératrice" in text and "Mme Garcia" in text
    assert "/admin/acteurs/household/" in text
    # Another organisation's admin sees only the reads of its own households (the operator's
    # list also showed the Département's household); a non-admin is refused the page.
    client.force_login(world["coordination"])
    text = client.get(reverse("personal_data_accesses")).content.decode()
    assert "M. Morel" in text and "Mme Garcia" not in text
    prescriber = UserFactory(username="presc")
    MembershipFactory(user=prescriber, organisation=world["ccas"], role="prescriber")
    client.force_login(prescriber)
    assert client.get(reverse("personal_data_accesses")).status_code == 403


def test_members_reads_are_recorded_but_not_as_operator_reads(client, world):
    """Every person's reads are recorded (acteurs.access_log); a member's list is one row for
    the page, an operator's one row per household listed."""
    client.force_login(world["ccas_admin"])
    client.get(reverse("admin:acteurs_household_changelist"))
    client.get(reverse("www:household", args=[world["ccas_household"].pk]))
    records = PersonalDataAccess.objects.filter(user=world["ccas_admin"])
    assert not records.filter(by_operator=True).exists()
    listed = records.get(action="list")
    assert listed.household is None and listed.households_shown == 1
    assert records.get(action="view").household == world["ccas_household"]


def test_the_admin_login_is_the_sites_login(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_operator_reads_of_enrolments_are_recorded(client, world):
    from tests.ateliers.factories import EnrolmentFactory

    enrolment = EnrolmentFactory(household=world["ccas_household"])
    client.force_login(world["operator"])
    assert client.get(reverse("admin:ateliers_enrolment_changelist")).status_code == 200
    assert (
        client.get(reverse("admin:ateliers_enrolment_change", args=[enrolment.pk])).status_code
        == 200
    )
    assert (
        PersonalDataAccess.objects.filter(
            household=world["ccas_household"], organisation=world["ccas"]
        ).count()
        == 2
    )


def test_the_coordination_reads_and_exports_pools_in_the_admin(client, world):
    from tests.parc.factories import DeviceFactory

    device = DeviceFactory(owner=world["refurbisher"])
    client.force_login(world["coordination"])
    assert client.get(reverse("admin:parc_device_changelist")).status_code == 200
    page = client.get(reverse("admin:parc_device_change", args=[device.pk]))
    assert page.status_code == 200
    assert "_fsm_transition_to" not in page.content.decode()  # reads, does not act
    for name in ("parc_device", "dons_gisement", "dons_donation"):
        assert client.get(reverse(f"admin:{name}_export")).status_code == 200, name
    from parc.resources import DeviceResource

    data = {"format": "0", "resource": "0"}
    data |= {f"deviceresource_{name}": "on" for name in DeviceResource().get_export_order()}
    exported = client.post(reverse("admin:parc_device_export"), data)
    assert exported.status_code == 200
    assert device.public_code in exported.content.decode("utf-8-sig")


def test_an_admin_export_with_an_unknown_filter_is_a_message(client, world):
    client.force_login(world["operator"])
    response = client.get(reverse("admin:dons_donation_export") + "?nimporte=quoi", follow=True)
    assert response.status_code == 200
    assert "Ce filtre n&#x27;existe pas" in response.content.decode()


def test_an_empty_to_field_is_ignored(client, world):
    client.force_login(world["coordination"])
    url = reverse("admin:acteurs_organisation_change", args=[world["ccas"].pk]) + "?_to_field="
    assert client.get(url).status_code == 200
