"""factory_boy factories. Devices are created in any state directly (tests of the lifecycle
then run the real services from there); histories come from the services."""

import factory
from django.utils import timezone

from acteurs.models import Membership, Organisation, User
from parc.codes import generate_code
from parc.models import (
    Device,
    DeviceKind,
    ErasureRecord,
    StockLocation,
    StorageMedium,
)
from parc.search import DEVICE_TEXT_FIELDS, add_search_words, device_document


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


# --- territories, households and workshops (ateliers) -----------------------------------------


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


# --- prets (loan scheme) ------------------------------------------------------------------------


def _criterion(code="rsa"):
    """Seeded by migration prets/0002; recreated after a transactional test's flush."""
    from prets.models import EligibilityCriterion

    return EligibilityCriterion.objects.get_or_create(
        code=code,
        defaults={
            "label": "Revenu de solidarité active (RSA)",
            "proofs": "attestation CAF ou MSA de moins de 3 mois\nnotification de droits",
        },
    )[0]


class EligibilityCheckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "prets.EligibilityCheck"

    household = factory.SubFactory(HouseholdFactory)
    criterion = factory.LazyFunction(_criterion)
    proof_kind = "notification de droits"
    checked_by = factory.SubFactory(UserFactory)
    checked_on = factory.LazyFunction(timezone.localdate)
    valid_until = factory.LazyAttribute(lambda c: c.checked_on + timezone.timedelta(days=365))


class DeviceRequestFactory(factory.django.DjangoModelFactory):
    """Inserted directly in any state (state is protected: pass it at creation only)."""

    class Meta:
        model = "prets.DeviceRequest"

    household = factory.SubFactory(HouseholdFactory)
    prescriber_org = factory.SelfAttribute("household.organisation")
    refurbisher = factory.SubFactory(OrganisationFactory, is_refurbisher=True)
    created_by = factory.SubFactory(UserFactory)
    device_kind = "laptop"
    purpose = "procedures"
    mode = "loan"
    eligibility = factory.SubFactory(
        EligibilityCheckFactory, household=factory.SelfAttribute("..household")
    )
    consent_informed = True
    consent_at = factory.LazyFunction(timezone.now)
    submitted_at = factory.LazyFunction(timezone.now)


class AllocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "prets.Allocation"

    request = factory.SubFactory(DeviceRequestFactory, state="approved")
    device = factory.SubFactory(
        DeviceFactory, owner=factory.SelfAttribute("..request.refurbisher"), state="allocated"
    )
    allocated_by = factory.SubFactory(UserFactory)


class LoanFactory(factory.django.DjangoModelFactory):
    """An open loan inserted directly (its device on loan), for reminders and lists."""

    class Meta:
        model = "prets.Loan"

    request = factory.SubFactory(DeviceRequestFactory, state="fulfilled")
    device = factory.SubFactory(
        DeviceFactory, owner=factory.SelfAttribute("..request.refurbisher"), state="on_loan"
    )
    household = factory.SelfAttribute("request.household")
    organisation = factory.SelfAttribute("request.refurbisher")
    started_on = factory.LazyFunction(lambda: timezone.localdate() - timezone.timedelta(days=30))
    due_on = factory.LazyAttribute(lambda loan: loan.started_on + timezone.timedelta(days=365))
    remind_from = factory.LazyAttribute(lambda loan: loan.due_on - timezone.timedelta(days=14))
    started_by = factory.SubFactory(UserFactory)


# --- dons (gisements, conventions, donations) ---------------------------------------------------


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
