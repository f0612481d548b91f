"""factory_boy factories of ateliers: sessions and enrolments."""

import factory
from django.utils import timezone

from tests.acteurs.factories import (
    CommuneFactory,
    HouseholdFactory,
    OrganisationFactory,
    UserFactory,
)


def _workshop_type(code):
    """A standard workshop type (seeded by a migration; recreated after a flush)."""
    from ateliers.catalogue import ensure_workshop_types
    from ateliers.models import WorkshopType

    ensure_workshop_types()
    return WorkshopType.objects.get(code=code)


class SessionFactory(factory.django.DjangoModelFactory):
    """Inserted directly (past sessions too); the service refuses a start in the past."""

    class Meta:
        model = "ateliers.Session"

    workshop_type = factory.LazyFunction(lambda: _workshop_type("initiation"))
    organisation = factory.SubFactory(OrganisationFactory, is_refurbisher=True)
    commune = factory.SubFactory(CommuneFactory)
    address = "Salle du numérique, 3 rue des Écoles"
    starts_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda s: s.starts_at + timezone.timedelta(hours=2))
    facilitator = factory.SubFactory(UserFactory)
    capacity = 8
    created_by = factory.SelfAttribute("facilitator")


class EnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "ateliers.Enrolment"

    session = factory.SubFactory(SessionFactory)
    household = factory.SubFactory(HouseholdFactory)
    status = "confirmed"
    enrolled_by = factory.SubFactory(UserFactory)
