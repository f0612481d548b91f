"""The household's page: who the household is (acteurs) and the doors to its workshops
(ateliers) and its equipment file (prets), each shown to those the app lets in."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from acteurs import selectors as household_selectors
from acteurs.access_log import record_personal_data_access, should_record
from acteurs.consent import consent_text
from prets.permissions import is_prescriber_for


@login_required
def household(request, pk):
    household = household_selectors.household_for(request.user, pk)
    if should_record(request.user):
        record_personal_data_access(
            user=request.user,
            households=[household],
            action="view",
            what=_("fiche du foyer"),
            page=request.get_full_path(),
        )
    return render(
        request,
        "www/household.html",
        {
            "household": household,
            "consent_text": consent_text(household.consent_version, household.organisation.name),
            "sees_equipment_file": is_prescriber_for(request.user, household.organisation_id),
        },
    )
