import pytest

from tests.acteurs.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.dons.factories import GisementFactory


@pytest.fixture
def donor(db):
    return OrganisationFactory(
        name="Banque du Centre", short_name="BDC", is_donor=True, siret="73282932000074"
    )


@pytest.fixture
def gisement(refurbisher, donor):
    return GisementFactory(
        refurbisher=refurbisher,
        donor=donor,
        name="Renouvellement du parc 2025",
        contact_name="Mme Durand",
        contact_email="durand@banque.example",
    )


@pytest.fixture
def other_gisement(other_refurbisher):
    return GisementFactory(refurbisher=other_refurbisher, name="Gisement d'ailleurs")


@pytest.fixture
def coordinator(db):
    organisation = OrganisationFactory(
        name="Département test", short_name="DEP", is_coordinator=True
    )
    user = UserFactory(username="coordination")
    MembershipFactory(user=user, organisation=organisation, role="admin")
    return user


@pytest.fixture
def other_staff(other_refurbisher):
    user = UserFactory(username="equipe-ailleurs")
    MembershipFactory(user=user, organisation=other_refurbisher, role="staff")
    return user
