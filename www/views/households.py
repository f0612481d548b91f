"""The household's page: who the household is (acteurs) and the doors to its workshops
(ateliers) and its equipment file (prets), each shown to those the app lets in."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from acteurs import access_log, personal_data
from acteurs import selectors as household_selectors
from acteurs.consent import consent_text
from prets.permissions import is_prescriber_for


@login_required
def household(request, pk):
    household = household_selectors.household_for(request.user, pk)
    access_log.record_access(request, household, what=_("fiche du foyer"))
    return render(
        request,
        "www/household.html",
        {
            "household": household,
            "anonymised": household.is_anonymised,
            "consent_text": consent_text(household.consent_version, household.organisation.name),
            "sees_equipment_file": is_prescriber_for(request.user, household.organisation_id),
            "exercises_rights": personal_data.may_exercise_rights(request.user, household),
            "reads_access_log": household.organisation_id
            in access_log.admin_organisation_ids(request.user),
        },
    )
