"""The loan scheme's column on the household list (acteurs.household_columns): each
household's latest request and current loan, as the user's side sees them."""

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from acteurs.household_columns import HouseholdColumn

from . import selectors


def follow_up_cells(households, user) -> dict:
    """{household id: HTML}: two queries for the page (``selectors.follow_ups``)."""
    found = selectors.follow_ups([household.pk for household in households], user)
    return {
        pk: render_to_string("prets/_follow_up.html", {"follow_up": follow_up})
        for pk, follow_up in found.items()
    }


FOLLOW_UP = HouseholdColumn("prets.follow_up", _("Demande et prêt"), follow_up_cells)
