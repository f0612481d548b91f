"""factory_boy factories of parc. Devices are created in any state directly (tests of the
lifecycle then run the real services from there); histories come from the services."""

import factory
from django.utils import timezone

from parc.codes import generate_code
from parc.models import Device, DeviceKind, ErasureRecord, StockLocation, StorageMedium
from parc.search import DEVICE_TEXT_FIELDS, add_search_words, device_document
from tests.acteurs.factories import OrganisationFactory, UserFactory


class StockLocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockLocation

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Étagère {n}")


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Device

    public_code = factory.LazyFunction(generate_code)
    kind = DeviceKind.LAPTOP
    brand = "Dell"
    model = "Latitude E5470"
    serial = factory.Sequence(lambda n: f"SN{n:06d}")
    owner = factory.SubFactory(OrganisationFactory)
    # What the registration service writes (parc.search): the device's own words.
    search_document = factory.LazyAttribute(
        lambda d: device_document({name: getattr(d, name, "") for name in DEVICE_TEXT_FIELDS})
    )


class StorageMediumFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StorageMedium
        skip_postgeneration_save = True

    device = factory.SubFactory(DeviceFactory)
    media_type = "ssd"
    manufacturer = "Samsung"
    model = "PM871"
    serial = factory.Sequence(lambda n: f"S2{n:08d}")
    capacity_gb = 256

    @factory.post_generation
    def searchable(medium, create, extracted, **kwargs):
        """Its words join the device's search document, as ``storage_medium_add`` does."""
        if create:
            add_search_words(medium.device, [medium.manufacturer, medium.model, medium.serial])


class ErasureRecordFactory(factory.django.DjangoModelFactory):
    """Inserted directly: for tests that need an erasure without going through the service."""

    class Meta:
        model = ErasureRecord

    medium = factory.SubFactory(StorageMediumFactory)
    device_cycle = factory.LazyAttribute(lambda e: e.medium.device.cycle)
    serial = factory.LazyAttribute(lambda e: e.medium.serial)
    media_type = factory.LazyAttribute(lambda e: e.medium.media_type)
    level = "purge"
    method = "block_erase"
    tool = "nwipe"
    tool_version = "0.35"
    verification = "full"
    result = "erased"
    started_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(hours=1))
    ended_at = factory.LazyFunction(timezone.now)
    operator = factory.SubFactory(UserFactory)
