"""What every use case of the loan scheme shares: its refusals (the kernel's, ``message`` in
French, safe to show), today's date, the touch that restarts a household's retention delay
and the refusal of an anonymised household (both acteurs')."""

import datetime as dt

from django.utils import timezone

from acteurs.personal_data import household_touch, require_not_anonymised
from core.errors import Changed, InvalidInput, NotFound, NotPermitted, Refused

__all__ = [
    "Changed",
    "InvalidInput",
    "NotFound",
    "NotPermitted",
    "Refused",
    "require_not_anonymised",
]


def _today() -> dt.date:
    return timezone.localdate()


def _touch_household(household_id: int) -> None:
    """A contact with the household: the retention delay starts again."""
    household_touch(household_id)
