"""Eligibility checks: a prescriber records which criterion a household meets, until when."""

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from acteurs.models import Household

from ..models import EligibilityCheck, EligibilityCriterion
from ..permissions import is_prescriber_for
from ..provenance import add_months
from .base import NotPermitted, Refused, _today, _touch_household, require_not_anonymised


def eligibility_check_record(
    household_id: int,
    actor,
    *,
    criterion: EligibilityCriterion,
    proof_kind: str,
    checked_on: dt.date | None = None,
) -> EligibilityCheck:
    checked_on = checked_on or _today()
    with transaction.atomic():
        household = _household_for_prescriber(household_id, actor)
        if not criterion.is_active:
            raise Refused(_("Ce critère d'éligibilité n'est plus proposé."))
        proofs = criterion.proof_list
        if proofs and proof_kind not in proofs:
            raise Refused(_("Choisissez un justificatif accepté pour ce critère."))
        if checked_on > _today():
            raise Refused(_("La date de vérification ne peut pas être dans le futur."))
        valid_until = add_months(checked_on, criterion.validity_months)
        if valid_until < _today():
            raise Refused(
                _("Cette vérification a expiré le %(d)s : vérifiez un justificatif récent.")
                % {"d": valid_until.strftime("%d/%m/%Y")}
            )
        check = EligibilityCheck.objects.create(
            household=household,
            criterion=criterion,
            proof_kind=proof_kind,
            checked_by=actor,
            checked_on=checked_on,
            valid_until=valid_until,
        )
        _touch_household(household.pk)
        return check


def _household_for_prescriber(household_id: int, actor) -> Household:
    household = Household.objects.filter(pk=household_id).first()
    if household is None or not is_prescriber_for(actor, household.organisation_id):
        raise NotPermitted(_("Ce foyer n'est pas suivi par votre organisation."))
    require_not_anonymised(household.pk)
    return household
