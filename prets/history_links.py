"""Links from a device's history (``parc.history``) to the loan of an event, for those who may
see the loan: the lending association's desk and the household's prescribers."""

from django.urls import reverse
from django.utils.translation import gettext as _

from parc.history import HistoryLink

from .models import Loan
from .permissions import is_desk_for, is_prescriber_for


def loan_links(user, events: list) -> dict[int, HistoryLink]:
    by_loan: dict[int, list] = {}
    for event in events:
        loan_id = (event.data or {}).get("loan")
        if isinstance(loan_id, int):
            by_loan.setdefault(loan_id, []).append(event)
    if not by_loan:
        return {}
    links = {}
    loans = Loan.objects.filter(pk__in=list(by_loan)).values_list(
        "pk", "organisation_id", "request__prescriber_org_id"
    )
    for loan_id, lender_id, prescriber_id in loans:
        if not (is_desk_for(user, lender_id) or is_prescriber_for(user, prescriber_id)):
            continue
        link = HistoryLink(
            label=_("Voir le prêt n° %(n)s") % {"n": loan_id},
            url=reverse("prets:loan", args=[loan_id]),
        )
        for event in by_loan[loan_id]:
            links[event.pk] = link
    return links
