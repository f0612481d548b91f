"""Loans: the handover, renewals, deposits, the signed agreement, follow-ups, the return with
its inspection, the transfer to the borrower, a loss."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parc import services as parc_services
from parc.models import State
from parc.signals import figures_changed

from .. import events
from ..models import (
    AllocationStatus,
    FeeRefundReason,
    Loan,
    LoanFollowUp,
    LoanState,
    Mode,
    ReturnInspection,
)
from ..permissions import can_follow_request, is_desk_for
from ..transitions import LOAN
from .base import (
    InvalidInput,
    NotFound,
    NotPermitted,
    Refused,
    _today,
    _touch_household,
    require_not_anonymised,
)
from .handover import _handover_ready, handover_check, policy_for
from .requests import _lock_request, _run_request_transition


def _lock_loan(loan_id: int) -> Loan:
    loan = Loan.objects.select_for_update().filter(pk=loan_id).first()
    if loan is None:
        raise NotFound(_("Ce prêt n'existe pas."))
    return loan


def _require_loan_desk(loan, actor) -> None:
    if not is_desk_for(actor, loan.organisation_id):
        raise NotPermitted(_("Seule l'équipe de l'association prêteuse peut faire cette action."))


def _require_open(loan) -> None:
    if loan.state != LoanState.OPEN:
        raise Refused(
            _("Le prêt n° %(n)s est terminé (%(s)s).")
            % {"n": loan.pk, "s": loan.get_state_display()}
        )


def loan_start(
    request_id: int,
    actor,
    *,
    started_on: dt.date | None = None,
    due_on: dt.date | None = None,
    deposit_amount: Decimal | None = None,
    deposit_paid: bool = False,
    agreement_signed: bool = False,
    fee_amount: Decimal | None = None,
    fee_paid: bool = True,
) -> Loan:
    """Hand the allocated device over on loan. The loan fee (the policy's default unless
    given) is paid at the handover (``fee_paid``: its day is the loan's first), wholly or in
    part by vouchers (``voucher_record``), or later (``loan_fee_paid``)."""
    started_on = started_on or _today()
    with transaction.atomic():
        request = _lock_request(request_id)
        allocation = _handover_ready(request, actor, Mode.LOAN)
        if started_on > _today():
            raise Refused(_("Le prêt ne peut pas commencer dans le futur."))
        policy = policy_for(request.refurbisher_id)
        due_on = due_on or started_on + dt.timedelta(days=policy.default_loan_days)
        if due_on < started_on:
            raise Refused(_("L'échéance ne peut pas précéder le début du prêt."))
        check = handover_check(request, started_on)
        if not check.allowed:
            raise Refused(check.message)
        deposit = policy.default_deposit if deposit_amount is None else deposit_amount
        if deposit < 0:
            raise Refused(_("La caution ne peut pas être négative."))
        fee = policy.default_fee if fee_amount is None else Decimal(fee_amount)
        if fee < 0:
            raise Refused(_("Les frais de prêt ne peuvent pas être négatifs."))
        loan = Loan.objects.create(
            request=request,
            device_id=allocation.device_id,
            household_id=request.household_id,
            organisation_id=request.refurbisher_id,
            started_on=started_on,
            due_on=due_on,
            remind_from=due_on - dt.timedelta(days=policy.reminder_days_before),
            deposit_amount=deposit,
            deposit_paid_on=started_on if deposit_paid and deposit else None,
            fee_amount=fee,
            fee_paid_on=started_on if fee_paid and fee else None,
            agreement_signed_on=started_on if agreement_signed else None,
            training_due_on=check.training_due_on,
            training_code=check.training_code if check.training_due_on else "",
            started_by=actor,
        )
        allocation.status = AllocationStatus.HANDED_OVER
        allocation.ended_at = timezone.now()
        allocation.ended_by = actor
        allocation.save()
        _run_request_transition(request, "fulfil", actor, _("prêt n° %(n)s") % {"n": loan.pk})
        events.loan_started(
            loan,
            actor,
            data={"due_on": due_on.isoformat(), "deposit": str(deposit), "fee": str(fee)},
        )
        parc_services.device_lend(
            allocation.device_id,
            actor,
            loan_id=loan.pk,
            note=_("Prêt n° %(n)s jusqu'au %(d)s")
            % {"n": loan.pk, "d": due_on.strftime("%d/%m/%Y")},
        )
        _touch_household(request.household_id)
        return loan


def loan_renew(loan_id: int, actor, *, due_on: dt.date, note: str = "") -> Loan:
    with transaction.atomic():
        loan = _lock_loan(loan_id)
        _require_loan_desk(loan, actor)
        _require_open(loan)
        require_not_anonymised(loan.household_id)
        if due_on <= loan.due_on:
            raise Refused(
                _("La nouvelle échéance doit suivre l'échéance actuelle (%(d)s).")
                % {"d": loan.due_on.strftime("%d/%m/%Y")}
            )
        previous = loan.due_on
        policy = policy_for(loan.organisation_id)
        loan.due_on = due_on
        loan.remind_from = due_on - dt.timedelta(days=policy.reminder_days_before)
        loan.renewals += 1
        loan.save()
        events.loan_renewed(loan, actor, note=note, previous=previous, due_on=due_on)
        _touch_household(loan.household_id)
        return loan


def loan_deposit(loan_id: int, actor, *, action: str, day: dt.date | None = None) -> Loan:
    """``action``: "paid" or "refunded"."""
    day = day or _today()
    with transaction.atomic():
        loan = _lock_loan(loan_id)
        _require_loan_desk(loan, actor)
        if not loan.deposit_amount:
            raise Refused(_("Ce prêt est sans caution."))
        if action == "paid":
            if loan.deposit_paid_on:
                raise Refused(_("La caution est déjà enregistrée comme versée."))
            _require_open(loan)
            loan.deposit_paid_on = day
        elif action == "refunded":
            if not loan.deposit_paid_on:
                raise Refused(_("La caution n'a pas été versée."))
            if loan.deposit_refunded_on:
                raise Refused(_("La caution a déjà été rendue."))
            loan.deposit_refunded_on = day
        else:
            raise Refused(_("Action inconnue."))
        loan.save()
        events.deposit_recorded(loan, actor, refunded=action == "refunded", day=day)
        return loan


def loan_fee_paid(loan_id: int, actor, *, day: dt.date | None = None) -> Loan:
    """The loan fee paid after the handover, on ``day``."""
    day = day or _today()
    with transaction.atomic():
        loan = _lock_loan(loan_id)
        _require_loan_desk(loan, actor)
        if not loan.fee_amount:
            raise Refused(_("Ce prêt est sans frais."), code="loan_without_fee")
        if loan.fee_paid_on:
            raise Refused(_("Les frais de prêt sont déjà enregistrés comme réglés."))
        if day > _today() or day < loan.started_on:
            raise Refused(
                _("Indiquez une date entre le début du prêt (%(d)s) et aujourd'hui.")
                % {"d": loan.started_on.strftime("%d/%m/%Y")},
                field="day",
            )
        loan.fee_paid_on = day
        loan.save(update_fields=["fee_paid_on"])
        events.fee_recorded(loan, actor, day=day)
        figures_changed(loan.device_id)
        return loan


def loan_fee_refund(loan_id: int, actor, *, day: dt.date | None = None, reason: str) -> Loan:
    """Give the household its loan fee back, all of it, on ``day`` and for ``reason``
    (``FeeRefundReason``). A refunded fee is no longer revenue (rapports.economics: the
    « Modèle économique » and the reports' economics), and the vouchers that paid it are
    marked « à ne pas présenter » in the reconciliation list. Refused: a loan without a fee,
    a fee not paid or already refunded, a day before the payment or in the future."""
    day = day or _today()
    if reason not in FeeRefundReason.values:
        raise InvalidInput(_("Choisissez le motif du remboursement."), field="reason")
    with transaction.atomic():
        loan = _lock_loan(loan_id)
        _require_loan_desk(loan, actor)
        if not loan.fee_amount:
            raise Refused(_("Ce prêt est sans frais."), code="loan_without_fee")
        if not loan.fee_paid_on:
            raise Refused(
                _("Les frais de prêt n'ont pas été réglés : rien à rembourser."),
                code="fee_not_paid",
            )
        if loan.fee_refunded_on:
            raise Refused(
                _("Les frais de prêt ont déjà été remboursés le %(d)s.")
                % {"d": loan.fee_refunded_on.strftime("%d/%m/%Y")},
                code="fee_already_refunded",
            )
        if day > _today() or day < loan.fee_paid_on:
            raise Refused(
                _("Indiquez une date entre le règlement des frais (%(d)s) et aujourd'hui.")
                % {"d": loan.fee_paid_on.strftime("%d/%m/%Y")},
                field="day",
            )
        loan.fee_refunded_on = day
        loan.fee_refund_reason = reason
        loan.save(update_fields=["fee_refunded_on", "fee_refund_reason"])
        events.fee_recorded(loan, actor, day=day, refund_reason=reason)
        figures_changed(loan.device_id)
        return loan


def loan_agreement_signed(loan_id: int, actor, *, day: dt.date | None = None) -> Loan:
    day = day or _today()
    with transaction.atomic():
        loan = _lock_loan(loan_id)
        _require_loan_desk(loan, actor)
        if day > _today() or day < loan.started_on - dt.timedelta(days=31):
            raise Refused(_("Indiquez la date à laquelle la convention a été signée."))
        loan.agreement_signed_on = day
        loan.save()
        events.agreement_signed(loan, actor, day=day)
        return loan


def loan_follow_up(
    loan_id: int, actor, *, kind: str, on: dt.date | None = None, note: str = ""
) -> LoanFollowUp:
    """Either side follows the household during the loan."""
    on = on or _today()
    with transaction.atomic():
        loan = _lock_loan(loan_id)
        request = loan.request
        if not (can_follow_request(actor, request) or is_desk_for(actor, loan.organisation_id)):
            raise NotPermitted(_("Vous ne suivez pas ce prêt."))
        require_not_anonymised(loan.household_id)
        if on > _today():
            raise Refused(_("Un suivi se note une fois fait : la date est dans le futur."))
        follow_up = LoanFollowUp.objects.create(loan=loan, kind=kind, on=on, note=note, by=actor)
        _touch_household(loan.household_id)
        return follow_up


def _close_loan(loan, name, actor, day, note, data=None) -> None:
    if day > _today():
        raise Refused(_("La date ne peut pas être dans le futur."))
    if day < loan.started_on:
        raise Refused(_("La date ne peut pas précéder le début du prêt."))
    LOAN.run_locked(loan, name, actor, note=events.short(note), data=data, day=day)


def loan_take_back(
    loan_id: int,
    actor,
    *,
    returned_on: dt.date | None = None,
    complete: bool,
    accessories_returned: bool,
    damage: str = "",
    note: str = "",
) -> ReturnInspection:
    """The device comes back: inspection, loan closed, device "returned" (to be erased).

    The damage and the note stay on the inspection, with the loan (anonymised with the
    household); neither the loan's history nor the device's copies them — the device's history,
    which technicians read, says only that a return note exists."""
    returned_on = returned_on or _today()
    with transaction.atomic():
        loan = _lock_loan(loan_id)
        _require_loan_desk(loan, actor)
        _require_open(loan)
        inspection = ReturnInspection.objects.create(
            loan=loan,
            returned_on=returned_on,
            complete=complete,
            accessories_returned=accessories_returned,
            damage=damage,
            note=note,
            inspected_by=actor,
        )
        data = {"complete": complete, "accessories": accessories_returned}
        _close_loan(loan, "take_back", actor, returned_on, "", data)
        parc_services.device_take_back(
            loan.device_id,
            actor,
            loan_id=loan.pk,
            complete=complete,
            accessories_returned=accessories_returned,
            note_on_loan=bool(damage.strip() or note.strip()),
        )
        _touch_household(loan.household_id)
        return inspection


def loan_transfer(loan_id: int, actor, *, day: dt.date | None = None, note: str = "") -> Loan:
    """End of the loan: the household keeps the device (the note stays in the loan's
    history)."""
    day = day or _today()
    with transaction.atomic():
        loan = _lock_loan(loan_id)
        _require_loan_desk(loan, actor)
        _require_open(loan)
        _close_loan(loan, "transfer", actor, day, note)
        parc_services.device_transfer_to_borrower(
            loan.device_id, actor, loan_id=loan.pk, note_on_loan=bool(note.strip())
        )
        _touch_household(loan.household_id)
        return loan


def loan_declare_lost(loan_id: int, actor, *, day: dt.date | None = None, note: str) -> Loan:
    day = day or _today()
    if not (note or "").strip():
        raise Refused(_("Précisez les circonstances de la perte ou du vol."))
    with transaction.atomic():
        loan = _lock_loan(loan_id)
        _require_loan_desk(loan, actor)
        _require_open(loan)
        _close_loan(loan, "declare_lost", actor, day, note)
        # The circumstances stay in the loan's history; the device's gets a reference.
        parc_services.device_declare_lost(
            loan.device_id,
            actor,
            note=_("Circonstances notées sur le prêt n° %(n)s") % {"n": loan.pk},
            expected_state=State.ON_LOAN,
            loan_id=loan.pk,
        )
        return loan
