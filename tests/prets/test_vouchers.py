"""Digital-inclusion vouchers (issue 15): on a sale or a loan fee, recorded once (a number
used twice, on a sale or a loan, is refused), never more than the sale's price or the loan's
fee, and the reconciliation export per issuer and period lists both."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from core.errors import InvalidInput, NotPermitted, Refused
from prets import services
from prets.models import Sale, Voucher
from tests.parc.factories import DeviceFactory
from tests.prets.factories import DeviceRequestFactory, LoanFactory

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


# --- loan fees (issue 15: « a sale or a loan fee can be paid … by a voucher ») ---------------


@pytest.fixture
def make_loan(refurbisher):
    def make(fee="30"):
        return LoanFactory(
            request__refurbisher=refurbisher,
            started_on=dt.date(2026, 6, 18),
            fee_amount=Decimal(fee),
        )

    return make


def record_on_loan(loan, staff, number="AP-0001", value="20", issuer="APTIC", **extra):
    return services.voucher_record(
        None,
        staff,
        loan_id=loan.pk,
        scheme=extra.pop("scheme", "aptic"),
        issuer=issuer,
        number=number,
        value=value,
        received_on=extra.pop("received_on", dt.date(2026, 6, 18)),
    )


def test_a_voucher_pays_part_of_a_loan_fee(make_loan, staff):
    loan = make_loan()
    voucher = record_on_loan(loan, staff, number="ap 77")
    assert (voucher.loan_id, voucher.sale_id, voucher.number, voucher.value) == (
        loan.pk,
        None,
        "AP77",
        Decimal("20"),
    )
    assert voucher.organisation_id == loan.organisation_id


def test_a_number_used_on_a_sale_is_refused_on_a_loan_and_back(make_sale, make_loan, staff):
    record(make_sale(), staff, number="AP-0001")
    with pytest.raises(Refused) as refused:
        record_on_loan(make_loan(), staff, number="ap-0001", issuer=" Aptic ")
    assert refused.value.code == "voucher_already_used"
    assert "déjà été utilisé le 20/06/2026" in refused.value.message
    assert "pour une vente" in refused.value.message
    record_on_loan(make_loan(), staff, number="L-9")
    with pytest.raises(Refused) as refused:
        record(make_sale(), staff, number="l-9 ")
    assert "pour des frais de prêt" in refused.value.message
    assert Voucher.objects.count() == 2


def test_vouchers_never_exceed_the_loan_fee(make_loan, staff):
    loan = make_loan(fee="30")
    record_on_loan(loan, staff, number="1", value="25")
    with pytest.raises(Refused) as refused:
        record_on_loan(loan, staff, number="2", value="10")
    assert refused.value.code == "voucher_over_price"
    assert "frais du prêt (30.00 €)" in refused.value.message
    record_on_loan(loan, staff, number="2", value="5")


def test_a_loan_without_a_fee_takes_no_voucher(make_loan, staff):
    with pytest.raises(Refused) as refused:
        record_on_loan(make_loan(fee="0"), staff)
    assert refused.value.code == "loan_without_fee"
    assert not Voucher.objects.exists()


def test_only_the_lender_s_team_records_a_loan_voucher(make_loan, prescriber, other_staff):
    loan = make_loan()
    for someone in (prescriber, other_staff):
        with pytest.raises(NotPermitted) as refused:
            record_on_loan(loan, someone)
        assert "association prêteuse" in refused.value.message


def test_one_thing_paid_exactly(make_sale, make_loan, staff):
    with pytest.raises(InvalidInput):
        services.voucher_record(
            make_sale().pk,
            staff,
            loan_id=make_loan().pk,
            scheme="aptic",
            issuer="APTIC",
            number="X",
            value="1",
        )
    with pytest.raises(InvalidInput):
        services.voucher_record(None, staff, scheme="aptic", issuer="APTIC", number="X", value="1")


def test_the_loan_voucher_form_and_the_loan_page(client, make_sale, make_loan, staff, prescriber):
    record(make_sale(), staff, number="AP-0001")
    loan = make_loan()
    client.force_login(staff)
    page = client.get(reverse("prets:loan", args=[loan.pk])).content.decode()
    assert "Frais de prêt" in page and reverse("prets:loan_voucher_add", args=[loan.pk]) in page
    url = reverse("prets:loan_voucher_add", args=[loan.pk])
    data = {"scheme": "aptic", "issuer": "APTIC", "value": "20", "received_on": "2026-06-18"}
    response = client.post(url, {**data, "number": "AP-0001"})
    assert response.status_code == 200
    assert "déjà été utilisé" in response.content.decode()
    response = client.post(url, {**data, "number": "AP-0002"})
    assert response.status_code == 302
    assert response["Location"] == reverse("prets:loan", args=[loan.pk])
    page = client.get(reverse("prets:loan", args=[loan.pk])).content.decode()
    assert "APTIC n° AP-0002 (20,00 €)" in page
    # The prescriber sees the loan, not the voucher form.
    client.force_login(prescriber)
    assert client.get(url).status_code in (403, 404)
    # A loan without a fee has no voucher form.
    client.force_login(staff)
    assert (
        client.get(reverse("prets:loan_voucher_add", args=[make_loan("0").pk])).status_code == 404
    )


def test_reconciliation_lists_loan_fees_too(client, make_sale, make_loan, staff):
    record(make_sale(), staff, number="S1", value="50")
    loan = make_loan()
    record_on_loan(loan, staff, number="L1", value="20")
    client.force_login(staff)
    url = reverse("prets:vouchers_export") + "?debut=2026-06-01&fin=2026-06-30"
    text = b"".join(client.get(url).streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert "Prêt (frais)" in lines[0]
    (loan_line,) = [line for line in lines if "L1" in line]
    assert f";{loan.pk};" in loan_line and "20,00" in loan_line
    page = client.get(reverse("prets:vouchers") + "?debut=2026-06-01&fin=2026-06-30")
    text = page.content.decode()
    assert f"frais du prêt n° {loan.pk}" in text
    assert "70,00 €" in text  # APTIC's total: a sale and a loan fee
