"""factory_boy factories of dons: gisements, conventions, donations."""

import factory
from django.utils import timezone

from tests.acteurs.factories import OrganisationFactory


class GisementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "dons.Gisement"

    donor = factory.SubFactory(OrganisationFactory, is_donor=True)
    refurbisher = factory.SubFactory(OrganisationFactory, is_refurbisher=True)
    donor_kind = "entreprise"
    name = factory.Sequence(lambda n: f"Gisement {n:03d}")
    address = "1 rue du Don"


class ConventionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "dons.Convention"

    gisement = factory.SubFactory(GisementFactory)
    status = "signed"
    signed_on = factory.LazyFunction(timezone.localdate)


class DonationFactory(factory.django.DjangoModelFactory):
    """Inserted directly in any state (state is protected: pass it at creation only)."""

    class Meta:
        model = "dons.Donation"

    gisement = factory.SubFactory(GisementFactory)


class DonationLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "dons.DonationLine"

    donation = factory.SubFactory(DonationFactory)
    kind = "laptop"
    quantity = 10
