"""factory_boy factories of prets: eligibility, requests, allocations, loans."""

from decimal import Decimal

import factory
from django.utils import timezone

from tests.acteurs.factories import HouseholdFactory, OrganisationFactory, UserFactory
from tests.parc.factories import DeviceFactory


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
    fee_amount = Decimal("0")
    # A fee is paid at the handover unless a test says otherwise.
    fee_paid_on = factory.LazyAttribute(lambda loan: loan.started_on if loan.fee_amount else None)
    started_by = factory.SubFactory(UserFactory)
