"""What every use case of the loan scheme shares: its refusals (``message`` in French, safe
to show), today's date, and the touch that restarts a household's retention delay."""

import datetime as dt

from django.utils import timezone

from acteurs.models import Household
from parc.services import DeviceActionError


class LoanActionError(Exception):
    """An action was refused; ``message`` is French and safe to show to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotPermitted(LoanActionError):
    pass


class Refused(LoanActionError):
    pass


class Changed(LoanActionError):
    """Someone else changed the row between the moment the user saw it and now."""


ACTION_ERRORS = (LoanActionError, DeviceActionError)


def _today() -> dt.date:
    return timezone.localdate()


def _touch_household(household_id: int) -> None:
    """A contact with the household: the retention delay starts again."""
    Household.objects.filter(pk=household_id).update(last_contact_at=timezone.now())
