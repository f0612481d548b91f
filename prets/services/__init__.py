"""Use cases of the loan scheme, one module per subject; every public name is re-exported
here, so views, admin, commands and tests import ``prets.services`` whatever module holds it.

- ``base``: the refusals (the kernel's ``core.errors``), today's date, the household's touch;
- ``eligibility``: eligibility checks;
- ``requests``: device requests (create, submit, consent, approve, reject, cancel, expire);
- ``allocation``: a device set aside for a request, or released;
- ``handover``: the handover policy and whether a request may be handed over;
- ``loans``: the loan from handover to return, transfer or loss;
- ``reminders``: loan reminders;
- ``sales``: prices and solidarity sales;
- ``personal_data``: what the loan scheme keeps about a household, declared to
  ``acteurs.personal_data`` (which exports, erases and anonymises it), and the purge of old
  buyers' names.

Each use case opens a transaction, locks the request or loan row, checks who acts, checks the
conditions, runs the transition through its machine (``prets.transitions``: the row saved with
its event), writes the rows of the use case, drives the device through parc's typed services
(``parc.services.device_allocate``, ``device_lend``…, which lock the device and write its
event) — all committed together — then sends the e-mails after commit. Refusals raise
``core.errors`` refusals, whose ``message`` is French and safe to show.
"""

from .allocation import allocation_release, device_allocate
from .base import Changed, NotFound, NotPermitted, Refused
from .eligibility import eligibility_check_record
from .handover import HandoverCheck, handover_check, policy_for
from .loans import (
    loan_agreement_signed,
    loan_declare_lost,
    loan_deposit,
    loan_fee_paid,
    loan_fee_refund,
    loan_follow_up,
    loan_renew,
    loan_start,
    loan_take_back,
    loan_transfer,
)
from .personal_data import purge_old_buyer_names
from .reminders import send_due_reminders, send_training_reminders
from .requests import (
    expire_stale_requests,
    request_approve,
    request_cancel,
    request_consent,
    request_create,
    request_reject,
    request_submit,
)
from .sales import PriceInfo, price_info, sale_create
from .vouchers import voucher_record

__all__ = [
    "Changed",
    "HandoverCheck",
    "NotFound",
    "NotPermitted",
    "PriceInfo",
    "Refused",
    "allocation_release",
    "device_allocate",
    "eligibility_check_record",
    "expire_stale_requests",
    "handover_check",
    "loan_agreement_signed",
    "loan_declare_lost",
    "loan_deposit",
    "loan_fee_paid",
    "loan_fee_refund",
    "loan_follow_up",
    "loan_renew",
    "loan_start",
    "loan_take_back",
    "loan_transfer",
    "policy_for",
    "price_info",
    "purge_old_buyer_names",
    "request_approve",
    "request_cancel",
    "request_consent",
    "request_create",
    "request_reject",
    "request_submit",
    "sale_create",
    "send_due_reminders",
    "send_training_reminders",
    "voucher_record",
]
