"""factory_boy factories of acteurs: organisations, people, territories, households."""

import factory
from django.utils import timezone

from acteurs.models import Membership, Organisation, User


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Organisation {n}")
    short_name = factory.Sequence(lambda n: f"ORG{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("motdepasse-test")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = "technician"


class DepartementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "acteurs.Departement"
        django_get_or_create = ["code"]

    code = "28"
    name = "Eure-et-Loir"
    region_code = "24"


class CommuneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "acteurs.Commune"
        django_get_or_create = ["insee_code"]

    insee_code = "28085"
    name = "Chartres"
    departement = factory.SubFactory(DepartementFactory)
    postcodes = "28000"


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "acteurs.Household"

    organisation = factory.SubFactory(OrganisationFactory, is_prescriber=True)
    name = factory.Sequence(lambda n: f"Foyer {n:03d}")
    commune = factory.SubFactory(CommuneFactory)
    size = 2
    consent_at = factory.LazyFunction(timezone.now)
    consent_version = "2025-1"
    consent_recorded_by = factory.SubFactory(UserFactory)
