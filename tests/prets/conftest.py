"""The loan scheme's cast: an association (refurbisher) with its staff and technician, a CCAS
with its prescriber and a household, another CCAS with its own prescriber, a funder."""

import pytest
from django.utils import timezone

from tests.acteurs.factories import (
    HouseholdFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.parc.factories import DeviceFactory
from tests.prets.factories import DeviceRequestFactory, EligibilityCheckFactory


def member(organisation, role, username, **fields):
    user = UserFactory(username=username, email=f"{username}@example.org", **fields)
    MembershipFactory(user=user, organisation=organisation, role=role)
    return user


@pytest.fixture
def ccas(prescriber):
    return prescriber.memberships.get().organisation


@pytest.fixture
def other_ccas(db):
    return OrganisationFactory(name="CCAS voisin", short_name="CCASV", is_prescriber=True)


@pytest.fixture
def other_prescriber(other_ccas):
    return member(other_ccas, "prescriber", "autre-prescripteur")


@pytest.fixture
def other_staff(other_refurbisher):
    return member(other_refurbisher, "staff", "autre-equipe")


@pytest.fixture
def funder(db):
    org = OrganisationFactory(name="Département test", short_name="DEP", is_funder=True)
    return member(org, "funder", "financeur")


@pytest.fixture
def coordinator(db):
    org = OrganisationFactory(name="Coordination", short_name="COORD", is_coordinator=True)
    return member(org, "admin", "coordination")


@pytest.fixture
def household(ccas, prescriber):
    return HouseholdFactory(
        organisation=ccas,
        name="Mme Martin",
        email="martin@example.org",
        consent_recorded_by=prescriber,
    )


@pytest.fixture
def eligibility(household, prescriber):
    return EligibilityCheckFactory(household=household, checked_by=prescriber)


@pytest.fixture
def make_request(household, eligibility, refurbisher, prescriber):
    def make(state="submitted", **fields):
        fields.setdefault("household", household)
        fields.setdefault("eligibility", eligibility)
        return DeviceRequestFactory(
            state=state, refurbisher=refurbisher, created_by=prescriber, **fields
        )

    return make


@pytest.fixture
def ready_device(refurbisher):
    def make(**fields):
        fields.setdefault("grade", "B")
        return DeviceFactory(owner=refurbisher, state="ready", **fields)

    return make


def days(n):
    return timezone.timedelta(days=n)
