"""The request's and the loan's state machines, run by the kernel's engine (core.transitions).

Who may act is checked by the services before they run a transition (prets/permissions.py:
the prescriber's side and the desk's side differ per action, and the services know both), so
the machines carry no access check of their own. A request's change is told to the
prescriber by e-mail once the transaction commits.
"""

from django.utils.translation import gettext as _

from core.transitions import Machine

from . import notifications
from .models import DeviceRequest, Loan


def _describe_request(request) -> str:
    return _("la demande n° %(n)s") % {"n": request.pk}


def _explain_request(request, name: str) -> str:
    if name == "submit":
        return _(
            "La demande ne peut pas être envoyée : cochez que la personne a été informée du "
            "traitement de ses données."
        )
    if name == "reject":
        return _("Indiquez le motif du refus : le prescripteur le recevra.")
    return _("Les conditions de cette action ne sont pas remplies.")


def _notify_prescriber(event) -> None:
    notifications.notify_request_change(event.pk)


REQUEST = Machine(
    model=DeviceRequest,
    describe=_describe_request,
    explain=_explain_request,
    after_commit=[_notify_prescriber],
    # The services set some columns before the transition (the rejection's reason, read by
    # its condition): the whole row is written.
    track_columns=False,
)


def _describe_loan(loan) -> str:
    return _("le prêt n° %(n)s") % {"n": loan.pk}


LOAN = Machine(model=Loan, describe=_describe_loan)
