"""A small scene: a refurbishing association running workshops (with a facilitator), a CCAS
prescribing them (with a prescriber and households), and a second CCAS."""

import pytest
from django.utils import timezone

from ateliers import services
from ateliers.catalogue import ensure_workshop_types
from ateliers.models import WorkshopType
from tests.acteurs.factories import (
    CommuneFactory,
    HouseholdFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.ateliers.factories import SessionFactory


@pytest.fixture
def commune(db):
    return CommuneFactory()


@pytest.fixture
def association(refurbisher, commune):
    refurbisher.commune = commune
    refurbisher.save()
    return refurbisher


@pytest.fixture
def facilitator(association):
    user = UserFactory(username="animatrice", first_name="Émilie", last_name="Roux")
    MembershipFactory(user=user, organisation=association, role="facilitator")
    return user


@pytest.fixture
def ccas(prescriber, commune):
    organisation = prescriber.memberships.get().organisation
    organisation.commune = commune
    organisation.save()
    return organisation


@pytest.fixture
def other_ccas(commune):
    organisation = OrganisationFactory(name="CCAS voisin", short_name="CCASV", is_prescriber=True)
    return organisation


@pytest.fixture
def other_prescriber(other_ccas):
    user = UserFactory(username="autre-prescriptrice")
    MembershipFactory(user=user, organisation=other_ccas, role="prescriber")
    return user


@pytest.fixture
def households(ccas):
    return [
        HouseholdFactory(organisation=ccas, name=name)
        for name in ("Mme Martin", "M. Bernard", "Mme Thomas", "M. Petit", "Mme Robert")
    ]


def workshop_type(code="initiation") -> WorkshopType:
    ensure_workshop_types()  # a transactional test before this one may have flushed them
    return WorkshopType.objects.get(code=code)


@pytest.fixture
def upcoming(association, facilitator, commune):
    """A session next week with 2 seats, planned through the service."""
    start = timezone.now().replace(second=0, microsecond=0) + timezone.timedelta(days=7)
    return services.session_create(
        actor=facilitator,
        workshop_type=workshop_type(),
        organisation=association,
        commune=commune,
        address="Médiathèque, 1 place de la Poste",
        starts_at=start,
        ends_at=start + timezone.timedelta(hours=2),
        facilitator=facilitator,
        capacity=2,
        accessibility="Accès de plain-pied ; boucle magnétique.",
    )


@pytest.fixture
def started(association, facilitator, commune):
    """An initiation session that started half an hour ago."""
    start = timezone.now() - timezone.timedelta(minutes=30)
    return SessionFactory(
        organisation=association,
        commune=commune,
        facilitator=facilitator,
        starts_at=start,
        ends_at=start + timezone.timedelta(hours=2),
        capacity=6,
    )


@pytest.fixture
def repair_session(association, facilitator, commune):
    start = timezone.now() - timezone.timedelta(hours=1)
    return SessionFactory(
        workshop_type=workshop_type("repair_cafe"),
        organisation=association,
        commune=commune,
        facilitator=facilitator,
        starts_at=start,
        ends_at=start + timezone.timedelta(hours=3),
        capacity=20,
        title="Repair café de printemps",
    )
