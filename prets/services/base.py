"""What every use case of the loan scheme shares: its refusals (the kernel's, ``message`` in
French, safe to show), today's date, and the touch that restarts a household's retention
delay."""

import datetime as dt

from django.utils import timezone

from acteurs.models import Household
from core.errors import Changed, NotFound, NotPermitted, Refused

__all__ = ["Changed", "NotFound", "NotPermitted", "Refused"]


def _today() -> dt.date:
    return timezone.localdate()


def _touch_household(household_id: int) -> None:
    """A contact with the household: the retention delay starts again."""
    Household.objects.filter(pk=household_id).update(last_contact_at=timezone.now())
