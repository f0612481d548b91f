"""Digital-inclusion vouchers (issue 15): recorded once (a number used twice is refused),
never more than the sale's price, and the reconciliation export per issuer and period."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from core.errors import NotPermitted, Refused
from prets import services
from prets.models import Sale, Voucher
from tests.parc.factories import DeviceFactory
from tests.prets.factories import DeviceRequestFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_sale(refurbisher, staff):
    def make(price="120", number=None):
        request = DeviceRequestFactory(state="fulfilled", refurbisher=refurbisher, mode="purchase")
        device = DeviceFactory(owner=refurbisher, state="transferred")
        return Sale.objects.create(
            request=request,
            device=device,
            household=request.household,
            organisation=refurbisher,
            number=number or Sale.objects.count() + 1,
            buyer_name="Acheteur",
            price=Decimal(price),
            payment_method="voucher",
            sold_on=dt.date(2026, 6, 20),
            guarantee_until=dt.date(2028, 6, 20),
            presumption_until=dt.date(2027, 6, 20),
            sold_by=staff,
        )

    return make


def record(sale, staff, number="AP-0001", value="50", issuer="APTIC", **extra):
    return services.voucher_record(
        sale.pk,
        staff,
        scheme=extra.pop("scheme", "aptic"),
        issuer=issuer,
        number=number,
        value=value,
        received_on=extra.pop("received_on", dt.date(2026, 6, 20)),
    )


def test_a_voucher_pays_part_of_a_sale(make_sale, staff):
    sale = make_sale()
    voucher = record(sale, staff, number=" ap 0001 ")
    assert (voucher.number, voucher.value, voucher.organisation_id) == (
        "AP0001",
        Decimal("50"),
        sale.organisation_id,
    )


def test_a_number_cannot_be_used_twice(make_sale, staff):
    first, second = make_sale(), make_sale()
    record(first, staff, number="AP-0001")
    with pytest.raises(Refused) as refused:
        # The same number, spelt otherwise, for the same issuer spelt otherwise.
        record(second, staff, number="ap-0001", issuer="  aptic ")
    assert refused.value.code == "voucher_already_used"
    assert "déjà été utilisé le 20/06/2026" in refused.value.message
    # Another scheme's number may be the same.
    record(second, staff, number="AP-0001", scheme="departement", issuer="CD 28")
    assert Voucher.objects.count() == 2


def test_vouchers_never_exceed_the_price(make_sale, staff):
    sale = make_sale(price="60")
    record(sale, staff, number="1", value="50")
    with pytest.raises(Refused) as refused:
        record(sale, staff, number="2", value="20")
    assert refused.value.code == "voucher_over_price"
    record(sale, staff, number="2", value="10")


def test_only_the_seller_s_team(make_sale, prescriber):
    with pytest.raises(NotPermitted):
        record(make_sale(), prescriber)


def test_the_form_refuses_a_used_number_next_to_the_field(client, make_sale, staff):
    first, second = make_sale(), make_sale()
    record(first, staff, number="AP-0001")
    client.force_login(staff)
    response = client.post(
        reverse("prets:voucher_add", args=[second.pk]),
        {
            "scheme": "aptic",
            "issuer": "APTIC",
            "number": "AP-0001",
            "value": "30",
            "received_on": "2026-06-21",
        },
    )
    assert response.status_code == 200
    assert "déjà été utilisé" in response.content.decode()
    assert Voucher.objects.count() == 1


def test_reconciliation_export_per_issuer_and_period(client, make_sale, staff, other_staff):
    record(make_sale(), staff, number="A1", value="50")
    record(make_sale(), staff, number="A2", value="30", received_on=dt.date(2026, 7, 2))
    record(make_sale(), staff, number="D1", scheme="departement", issuer="CD 28", value="100")
    client.force_login(staff)
    url = reverse("prets:vouchers_export") + "?dispositif=aptic&debut=2026-06-01&fin=2026-06-30"
    response = client.get(url)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("Émetteur;Dispositif;Numéro;Valeur")
    assert len(lines) == 2 and "A1" in lines[1] and "50,00" in lines[1]
    page = client.get(reverse("prets:vouchers") + "?debut=2026-06-01&fin=2026-07-31")
    assert "CD 28" in page.content.decode()
    # Another association sees none of them.
    client.force_login(other_staff)
    assert "A1" not in b"".join(client.get(url).streaming_content).decode("utf-8-sig")


@pytest.mark.parametrize("count", [1, 12])
def test_query_budget(client, make_sale, staff, count, django_assert_max_num_queries):
    for n in range(count):
        record(make_sale(), staff, number=f"N{n}", value="10")
    client.force_login(staff)
    with django_assert_max_num_queries(9):
        assert client.get(reverse("prets:vouchers") + "?debut=2026-06-01").status_code == 200
