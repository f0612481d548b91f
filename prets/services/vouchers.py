"""Digital-inclusion vouchers (issue 15): a sale or a loan fee paid wholly or in part by a
Pass numérique, an APTIC chèque or a département's chèque numérique, recorded once: a number
used on a sale cannot pay a loan fee, and the other way round."""

import datetime as dt
import re
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from ..models import Loan, Sale, Voucher, VoucherScheme
from ..permissions import is_desk_for
from .base import InvalidInput, NotFound, NotPermitted, Refused, _today


def issuer_key(issuer: str) -> str:
    return " ".join(issuer.split()).casefold()


def voucher_number(number: str) -> str:
    """The number in one form: upper case, no spaces."""
    return re.sub(r"\s+", "", number).upper()


def voucher_record(
    sale_id: int | None,
    actor,
    *,
    loan_id: int | None = None,
    scheme: str,
    issuer: str,
    number: str,
    value,
    received_on: dt.date | None = None,
) -> Voucher:
    """Record a voucher that paid (part of) a sale (``sale_id``) or a loan's fee
    (``loan_id``): one of the two. Refused: a number of this issuer already used, on a sale
    or a loan (``voucher_already_used``), vouchers worth more than the sale's price or the
    loan's fee (``voucher_over_price``), a loan without a fee (``loan_without_fee``)
    or whose fee was refunded (``fee_refunded``)."""
    if (sale_id is None) == (loan_id is None):
        raise InvalidInput(_("Un chèque règle une vente ou des frais de prêt."))
    number = voucher_number(number)
    issuer = " ".join(issuer.split())
    if scheme not in VoucherScheme.values:
        raise InvalidInput(_("Dispositif inconnu."), field="scheme")
    if not number:
        raise InvalidInput(_("Indiquez le numéro du chèque."), field="number")
    if not issuer:
        raise InvalidInput(_("Indiquez l'émetteur du chèque."), field="issuer")
    value = Decimal(value)
    if value <= 0:
        raise InvalidInput(_("La valeur du chèque doit être positive."), field="value")
    with transaction.atomic():
        if sale_id is not None:
            target = Sale.objects.select_for_update().filter(pk=sale_id).first()
            if target is None:
                raise NotFound(_("Cette vente n'existe pas."))
            if not is_desk_for(actor, target.organisation_id):
                raise NotPermitted(
                    _("Seule l'équipe de l'association vendeuse enregistre ses chèques.")
                )
            ceiling = target.price
            over = _(
                "Les chèques dépasseraient le prix de la vente (%(price)s €) : "
                "%(already)s € déjà réglés par chèque."
            )
        else:
            target = Loan.objects.select_for_update().filter(pk=loan_id).first()
            if target is None:
                raise NotFound(_("Ce prêt n'existe pas."))
            if not is_desk_for(actor, target.organisation_id):
                raise NotPermitted(
                    _("Seule l'équipe de l'association prêteuse enregistre ses chèques.")
                )
            if not target.fee_amount:
                raise Refused(
                    _("Le prêt n° %(n)s n'a pas de frais de prêt à régler.") % {"n": target.pk},
                    code="loan_without_fee",
                )
            if target.fee_refunded_on:
                raise Refused(
                    _("Les frais du prêt n° %(n)s ont été remboursés le %(d)s.")
                    % {"n": target.pk, "d": target.fee_refunded_on.strftime("%d/%m/%Y")},
                    code="fee_refunded",
                )
            ceiling = target.fee_amount
            over = _(
                "Les chèques dépasseraient les frais du prêt (%(price)s €) : "
                "%(already)s € déjà réglés par chèque."
            )
        already = target.vouchers.aggregate(total=Sum("value"))["total"] or Decimal("0")
        if already + value > ceiling:
            raise Refused(
                over % {"price": ceiling, "already": already},
                code="voucher_over_price",
                field="value",
            )
        existing = (
            Voucher.objects.filter(scheme=scheme, issuer_key=issuer_key(issuer), number=number)
            .select_related("organisation")
            .first()
        )
        if existing is not None:
            raise _already_used(existing)
        try:
            with transaction.atomic():
                return Voucher.objects.create(
                    scheme=scheme,
                    issuer=issuer,
                    issuer_key=issuer_key(issuer),
                    number=number,
                    value=value,
                    sale=target if sale_id is not None else None,
                    loan=target if loan_id is not None else None,
                    organisation_id=target.organisation_id,
                    received_on=received_on or _today(),
                    recorded_by=actor,
                )
        except IntegrityError:
            raise Refused(
                _("Le chèque n° %(n)s vient d'être enregistré par ailleurs.") % {"n": number},
                code="voucher_already_used",
                field="number",
            ) from None


def _already_used(existing: Voucher) -> Refused:
    return Refused(
        _("Le chèque n° %(n)s de « %(issuer)s » a déjà été utilisé le %(d)s (%(org)s, %(what)s).")
        % {
            "what": _("pour une vente") if existing.sale_id else _("pour des frais de prêt"),
            "n": existing.number,
            "issuer": existing.issuer,
            "d": existing.received_on.strftime("%d/%m/%Y"),
            "org": existing.organisation.short_name,
        },
        code="voucher_already_used",
        field="number",
    )
