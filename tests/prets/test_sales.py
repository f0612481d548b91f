"""Sales at a solidarity price: suggested price, legal cap for devices from public donors,
gapless receipt numbers per organisation, guarantee dates, gifts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from dons.models import Donation, Gisement
from parc.models import Device
from prets import services
from prets.models import PriceSuggestion, Sale, SaleCounter
from prets.provenance import add_months
from prets.services import sales
from tests.acteurs.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def public_donor(monkeypatch):
    """Devices come from a public donor (État, collectivité…): the caps apply."""
    monkeypatch.setattr(sales, "from_public_donor", lambda device: True)


@pytest.fixture
def to_sell(make_request, staff, ready_device):
    def make(kind="laptop", grade="B"):
        request = make_request(state="approved", mode="purchase", device_kind=kind)
        device = ready_device(kind=kind, grade=grade)
        services.device_allocate(request.pk, device.pk, staff)
        return request, device

    return make


def test_suggested_price_by_kind_and_grade_with_organisation_override(refurbisher, ready_device):
    device = ready_device(kind="laptop", grade="A")
    info = services.price_info(device)
    assert info.suggested == Decimal("150.00") and info.cap is None and not info.public_donor
    PriceSuggestion.objects.create(
        organisation=refurbisher, kind="laptop", grade="A", price=Decimal("130")
    )
    assert services.price_info(device).suggested == Decimal("130")


def test_the_cap_applies_to_public_donors_and_bounds_the_suggestion(
    public_donor, refurbisher, ready_device
):
    PriceSuggestion.objects.create(
        organisation=refurbisher, kind="screen", grade="A", price=Decimal("45")
    )
    info = services.price_info(ready_device(kind="screen", grade="A"))
    assert info.cap == Decimal("30.00") and info.suggested == Decimal("30.00")


@pytest.mark.parametrize(
    ("kind", "cap"),
    [
        ("laptop", "180"),
        ("desktop", "150"),
        ("tablet", "100"),
        ("smartphone", "100"),
        ("screen", "30"),
        ("printer", "30"),
    ],
)
def test_a_price_above_the_legal_cap_is_refused(public_donor, to_sell, staff, kind, cap):
    request, device = to_sell(kind=kind)
    above = Decimal(cap) + Decimal("0.01")
    with pytest.raises(services.Refused, match="plafond légal"):
        services.sale_create(request.pk, staff, price=above, payment_method="cash")
    assert not Sale.objects.exists()
    assert Device.objects.get(pk=device.pk).state == "allocated"
    sale = services.sale_create(request.pk, staff, price=Decimal(cap), payment_method="card")
    assert sale.cap == Decimal(cap)


def test_without_a_public_donor_there_is_no_cap(to_sell, staff):
    request, _device = to_sell()
    sale = services.sale_create(request.pk, staff, price=Decimal("250"), payment_method="cheque")
    assert sale.cap is None


def test_a_sale_transfers_the_device_with_the_guarantee_dates(to_sell, staff, household):
    request, device = to_sell()
    sold_on = timezone.localdate() - dt.timedelta(days=1)
    sale = services.sale_create(
        request.pk, staff, price=Decimal("90"), payment_method="cash", sold_on=sold_on
    )
    assert Device.objects.get(pk=device.pk).state == "transferred"
    request.refresh_from_db()
    assert request.state == "fulfilled"
    assert sale.buyer_name == household.name
    assert sale.guarantee_until == add_months(sold_on, 24)
    assert sale.presumption_until == add_months(sold_on, 12)


def test_price_zero_is_a_gift(to_sell, staff):
    request, _device = to_sell()
    sale = services.sale_create(request.pk, staff, price=Decimal("0"), payment_method="cash")
    assert sale.is_gift and sale.payment_method == "none"


def test_a_paid_sale_needs_a_payment_method(to_sell, staff):
    request, _device = to_sell()
    with pytest.raises(services.Refused, match="moyen de paiement"):
        services.sale_create(request.pk, staff, price=Decimal("20"), payment_method="none")


def test_receipt_numbers_follow_each_other_without_gaps(
    to_sell, staff, public_donor, refurbisher, other_refurbisher
):
    first, _ = to_sell()
    refused, _ = to_sell()
    third, _ = to_sell()
    assert (
        services.sale_create(first.pk, staff, price=Decimal("50"), payment_method="cash").number
        == 1
    )
    # A refused sale (price above the cap) rolls its number back with everything else.
    with pytest.raises(services.Refused):
        services.sale_create(refused.pk, staff, price=Decimal("999"), payment_method="cash")
    assert SaleCounter.objects.get(organisation=refurbisher).last_number == 1
    assert (
        services.sale_create(third.pk, staff, price=Decimal("60"), payment_method="cash").number
        == 2
    )
    assert (
        services.sale_create(refused.pk, staff, price=Decimal("70"), payment_method="cash").number
        == 3
    )
    assert list(Sale.objects.order_by("number").values_list("number", flat=True)) == [1, 2, 3]


def test_a_loan_request_is_not_sold(make_request, staff, ready_device):
    request = make_request(state="approved", mode="loan")
    services.device_allocate(request.pk, ready_device().pk, staff)
    with pytest.raises(services.Refused, match="prêt"):
        services.sale_create(request.pk, staff, price=Decimal("10"), payment_method="cash")


@pytest.mark.parametrize("who", ["prescriber", "technician", "other_staff"])
def test_only_the_association_staff_sell(request, to_sell, who):
    device_request, _ = to_sell()
    with pytest.raises(services.NotPermitted):
        services.sale_create(
            device_request.pk,
            request.getfixturevalue(who),
            price=Decimal("1"),
            payment_method="cash",
        )


@pytest.mark.parametrize(("donor_kind", "capped"), [("collectivite", True), ("entreprise", False)])
def test_the_cap_follows_the_donor_kind_of_the_device_gisement(
    refurbisher, ready_device, donor_kind, capped
):
    donor = OrganisationFactory(name=f"Donateur {donor_kind}", is_donor=True)
    gisement = Gisement.objects.create(
        donor=donor, refurbisher=refurbisher, donor_kind=donor_kind, name="Parc 2025"
    )
    device = ready_device(kind="tablet", donation=Donation.objects.create(gisement=gisement))
    info = services.price_info(device)
    assert info.public_donor is capped
    assert info.cap == (Decimal("100.00") if capped else None)
    assert not services.price_info(ready_device(kind="tablet")).public_donor
