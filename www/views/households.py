"""The household's page: who the household is (acteurs) and the doors to its workshops
(ateliers) and its equipment file (prets), each shown to those the app lets in."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from acteurs import selectors as household_selectors
from acteurs.consent import consent_text
from prets.permissions import is_prescriber_for


@login_required
def household(request, pk):
    household = household_selectors.household_for(request.user, pk)
    return render(
        request,
        "www/household.html",
        {
            "household": household,
            "consent_text": consent_text(household.consent_version, household.organisation.name),
            "sees_equipment_file": is_prescriber_for(request.user, household.organisation_id),
        },
    )
