"""Solidarity sales: the price (suggested, capped for devices from a public donor) and the
sale itself, numbered per organisation."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from parc import services as parc_services
from parc.models import Device

from .. import pricing
from ..models import (
    GUARANTEE_MONTHS,
    PRESUMPTION_MONTHS,
    AllocationStatus,
    Mode,
    PaymentMethod,
    PriceSuggestion,
    Sale,
    SaleCounter,
)
from ..provenance import add_months, from_public_donor
from .base import Refused, _today, _touch_household
from .handover import _handover_ready, handover_check
from .requests import _lock_request, _run_request_transition


@dataclass(frozen=True)
class PriceInfo:
    suggested: Decimal | None
    cap: Decimal | None  # the legal cap when it applies (public donor), else None
    public_donor: bool


def price_info(device: Device) -> PriceInfo:
    public = from_public_donor(device)
    cap = pricing.legal_cap(device.kind) if public else None
    suggested = (
        PriceSuggestion.objects.filter(
            organisation_id=device.owner_id, kind=device.kind, grade=device.grade
        )
        .values_list("price", flat=True)
        .first()
    )
    if suggested is None:
        suggested = pricing.DEFAULT_SUGGESTED.get((device.kind, device.grade))
    if suggested is not None and cap is not None:
        suggested = min(suggested, cap)
    return PriceInfo(suggested, cap, public)


def _next_sale_number(organisation_id: int) -> int:
    """Take the next receipt number: the counter row stays locked until the sale commits, so
    two sales cannot take the same number and a rolled-back sale gives its number back."""
    try:
        with transaction.atomic():
            SaleCounter.objects.get_or_create(organisation_id=organisation_id)
    except IntegrityError:
        pass  # created by a concurrent sale meanwhile
    counter = SaleCounter.objects.select_for_update().get(organisation_id=organisation_id)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def sale_create(
    request_id: int,
    actor,
    *,
    price: Decimal,
    payment_method: str,
    sold_on: dt.date | None = None,
) -> Sale:
    """Sell the allocated device (price 0: a gift), with the next receipt number."""
    sold_on = sold_on or _today()
    with transaction.atomic():
        request = _lock_request(request_id)
        allocation = _handover_ready(request, actor, Mode.PURCHASE)
        if sold_on > _today():
            raise Refused(_("La vente ne peut pas être datée dans le futur."))
        if price is None or price < 0:
            raise Refused(_("Indiquez un prix positif ou nul (0 € pour un don)."))
        device = Device.objects.get(pk=allocation.device_id)
        info = price_info(device)
        if info.cap is not None and price > info.cap:
            raise Refused(
                _(
                    "Prix refusé : %(price)s € dépasse le plafond légal de %(cap)s € pour un "
                    "appareil donné par un organisme public (%(source)s)."
                )
                % {
                    "price": formats.localize(price),
                    "cap": formats.localize(info.cap),
                    "source": pricing.CAP_SOURCE,
                }
            )
        if price == 0:
            payment_method = PaymentMethod.NONE
        elif payment_method == PaymentMethod.NONE:
            raise Refused(_("Indiquez le moyen de paiement."))
        check = handover_check(request, sold_on)
        if not check.allowed:
            raise Refused(check.message)
        number = _next_sale_number(request.refurbisher_id)
        sale = Sale.objects.create(
            request=request,
            device=device,
            household_id=request.household_id,
            organisation_id=request.refurbisher_id,
            number=number,
            buyer_name=request.household.name,
            price=price,
            cap=info.cap,
            payment_method=payment_method,
            sold_on=sold_on,
            guarantee_until=add_months(sold_on, GUARANTEE_MONTHS),
            presumption_until=add_months(sold_on, PRESUMPTION_MONTHS),
            sold_by=actor,
        )
        allocation.status = AllocationStatus.HANDED_OVER
        allocation.ended_at = timezone.now()
        allocation.ended_by = actor
        allocation.save()
        _run_request_transition(
            request, "fulfil", actor, _("vente n° %(n)s") % {"n": sale.receipt_number}
        )
        parc_services.device_sell(
            device.pk,
            actor,
            sale_id=sale.pk,
            price=price,
            note=_("Reçu n° %(n)s") % {"n": sale.receipt_number},
        )
        _touch_household(request.household_id)
        return sale
