"""Digital-inclusion vouchers (issue 15): a sale paid wholly or in part by a Pass numérique,
an APTIC chèque or a département's chèque numérique, recorded once."""

import datetime as dt
import re
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from ..models import Sale, Voucher, VoucherScheme
from ..permissions import is_desk_for
from .base import InvalidInput, NotFound, NotPermitted, Refused, _today


def issuer_key(issuer: str) -> str:
    return " ".join(issuer.split()).casefold()


def voucher_number(number: str) -> str:
    """The number in one form: upper case, no spaces."""
    return re.sub(r"\s+", "", number).upper()


def voucher_record(
    sale_id: int,
    actor,
    *,
    scheme: str,
    issuer: str,
    number: str,
    value,
    received_on: dt.date | None = None,
) -> Voucher:
    """Record a voucher that paid (part of) a sale. Refused: a number of this issuer already
    used (``voucher_already_used``), vouchers worth more than the sale's price
    (``voucher_over_price``)."""
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
        sale = Sale.objects.select_for_update().filter(pk=sale_id).first()
        if sale is None:
            raise NotFound(_("Cette vente n'existe pas."))
        if not is_desk_for(actor, sale.organisation_id):
            raise NotPermitted(
                _("Seule l'équipe de l'association vendeuse enregistre ses chèques.")
            )
        already = sale.vouchers.aggregate(total=Sum("value"))["total"] or Decimal("0")
        if already + value > sale.price:
            raise Refused(
                _(
                    "Les chèques dépasseraient le prix de la vente (%(price)s €) : "
                    "%(already)s € déjà réglés par chèque."
                )
                % {"price": sale.price, "already": already},
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
                    sale=sale,
                    organisation_id=sale.organisation_id,
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
        _("Le chèque n° %(n)s de « %(issuer)s » a déjà été utilisé le %(d)s (%(org)s).")
        % {
            "n": existing.number,
            "issuer": existing.issuer,
            "d": existing.received_on.strftime("%d/%m/%Y"),
            "org": existing.organisation.short_name,
        },
        code="voucher_already_used",
        field="number",
    )
