"""A loan fee's payment day and its refund (issue 15 leftovers): recorded by the desk through
services, shown on the loan page, no longer revenue once refunded, and its vouchers no longer
claimed."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import InvalidInput
from prets import services
from prets.models import LoanEvent, Voucher
from prets.selectors import voucher_totals, vouchers_for_reconciliation

from .test_loans import allocated, approved, set_policy  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def today():
    return timezone.localdate()


@pytest.fixture
def fee_loan(allocated, staff, refurbisher):  # noqa: F811
    request, _device = allocated
    set_policy(refurbisher, "not_required", default_fee=Decimal("10"))
    return services.loan_start(request.pk, staff, started_on=today() - dt.timedelta(days=5))


def test_a_fee_paid_at_the_handover_is_dated_on_the_loan_s_first_day(fee_loan):
    assert fee_loan.fee_paid_on == fee_loan.started_on
    assert fee_loan.fee_status == f"réglés le {fee_loan.started_on:%d/%m/%Y}"


def test_a_fee_paid_later_is_recorded_with_its_day(allocated, staff, refurbisher):  # noqa: F811
    request, _device = allocated
    set_policy(refurbisher, "not_required", default_fee=Decimal("10"))
    loan = services.loan_start(
        request.pk, staff, started_on=today() - dt.timedelta(days=5), fee_paid=False
    )
    assert loan.fee_paid_on is None
    assert loan.fee_status == "à régler"
    with pytest.raises(services.Refused, match="entre le début du prêt"):
        services.loan_fee_paid(loan.pk, staff, day=today() - dt.timedelta(days=6))
    with pytest.raises(services.Refused, match="rien à rembourser"):
        services.loan_fee_refund(loan.pk, staff, reason="device_faulty")
    services.loan_fee_paid(loan.pk, staff, day=today() - dt.timedelta(days=2))
    loan.refresh_from_db()
    assert loan.fee_paid_on == today() - dt.timedelta(days=2)
    assert LoanEvent.objects.filter(loan=loan, action="fee_paid").exists()
    with pytest.raises(services.Refused, match="déjà enregistrés"):
        services.loan_fee_paid(loan.pk, staff)


def test_the_desk_refunds_a_fee_with_its_day_and_reason(fee_loan, staff):
    day = today() - dt.timedelta(days=1)
    services.loan_fee_refund(fee_loan.pk, staff, day=day, reason="device_faulty")
    fee_loan.refresh_from_db()
    assert (fee_loan.fee_refunded_on, fee_loan.fee_refund_reason) == (day, "device_faulty")
    assert fee_loan.fee_status == f"remboursés le {day:%d/%m/%Y} (appareil défectueux)"
    event = LoanEvent.objects.get(loan=fee_loan, action="fee_refunded")
    assert event.data == {"on": day.isoformat(), "amount": "10.00", "reason": "device_faulty"}
    with pytest.raises(services.Refused, match="déjà été remboursés") as refused:
        services.loan_fee_refund(fee_loan.pk, staff, reason="hardship")
    assert refused.value.code == "fee_already_refunded"


@pytest.mark.parametrize(
    ("days", "reason", "error", "match"),
    [
        (-6, "device_faulty", services.Refused, "entre le règlement des frais"),
        (1, "device_faulty", services.Refused, "entre le règlement des frais"),
        (0, "", InvalidInput, "motif"),
        (0, "because", InvalidInput, "motif"),
    ],
)
def test_a_refund_needs_a_day_after_the_payment_and_a_listed_reason(
    fee_loan, staff, days, reason, error, match
):
    with pytest.raises(error, match=match):
        services.loan_fee_refund(
            fee_loan.pk, staff, day=today() + dt.timedelta(days=days), reason=reason
        )
    fee_loan.refresh_from_db()
    assert fee_loan.fee_refunded_on is None


@pytest.mark.parametrize("who", ["technician", "prescriber", "other_staff"])
def test_only_the_lending_desk_refunds_a_fee(request, fee_loan, who):
    with pytest.raises(services.NotPermitted):
        services.loan_fee_refund(fee_loan.pk, request.getfixturevalue(who), reason="device_faulty")


def test_a_loan_without_fee_has_nothing_to_refund(allocated, staff):  # noqa: F811
    request, _device = allocated
    loan = services.loan_start(request.pk, staff, fee_amount=Decimal("0"))
    with pytest.raises(services.Refused) as refused:
        services.loan_fee_refund(loan.pk, staff, reason="device_faulty")
    assert refused.value.code == "loan_without_fee"


def test_a_refunded_fee_s_voucher_is_marked_and_not_claimed(fee_loan, staff):
    services.voucher_record(
        None, staff, loan_id=fee_loan.pk, scheme="aptic", issuer="APTIC", number="R1", value=4
    )
    services.loan_fee_refund(fee_loan.pk, staff, reason="returned_early")
    found = vouchers_for_reconciliation(staff, start=today() - dt.timedelta(days=30), end=today())
    voucher = found.get()
    assert "remboursés le" in voucher.paid_for
    assert "à ne pas présenter" in voucher.paid_for
    assert voucher_totals(found) == []
    assert Voucher.objects.count() == 1


def test_the_loan_page_shows_the_fee_s_status_and_offers_the_refund(client, fee_loan, staff):
    client.force_login(staff)
    page = client.get(reverse("prets:loan", args=[fee_loan.pk])).content.decode()
    refund = reverse("prets:loan_action", args=[fee_loan.pk, "rembourser-frais"])
    assert f'href="{refund}"' in page
    assert f"réglés le {fee_loan.started_on:%d/%m/%Y}" in page
    response = client.post(refund, {"day": today().isoformat(), "reason": "loan_cancelled"})
    assert response.status_code == 302
    page = client.get(reverse("prets:loan", args=[fee_loan.pk])).content.decode()
    assert f"remboursés le {today():%d/%m/%Y} (prêt annulé)" in page
    assert f'href="{refund}"' not in page


def test_no_voucher_pays_a_refunded_fee(fee_loan, staff):
    services.loan_fee_refund(fee_loan.pk, staff, reason="loan_cancelled")
    with pytest.raises(services.Refused) as refused:
        services.voucher_record(
            None, staff, loan_id=fee_loan.pk, scheme="aptic", issuer="APTIC", number="R2", value=4
        )
    assert refused.value.code == "fee_refunded"
    assert not Voucher.objects.exists()
