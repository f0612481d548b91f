"""The donation's state machine, run by the kernel's engine (core.transitions)."""

from django.utils.translation import gettext as _

from core.errors import NotPermitted
from core.transitions import Machine

from .models import Donation
from .permissions import can_manage


def _describe(donation) -> str:
    return _("le don n° %(n)s") % {"n": donation.pk}


def _check_access(donation, actor) -> None:
    if not can_manage(actor, donation.gisement.refurbisher_id):
        raise NotPermitted(
            _("Seules l'équipe et les administrateurs de la structure gèrent ses dons.")
        )


DONATION = Machine(
    model=Donation,
    describe=_describe,
    check_access=_check_access,
    select_related=("gisement",),
    validate=True,
)
# In lifecycle order, as buttons on the donation page.
TRANSITION_ORDER = ("collect", "receive", "close", "cancel")
