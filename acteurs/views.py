"""The household list and forms. The household's page, which opens onto its workshops and
its equipment file (floors above), is composed in ``www``: views here send people to it with
``redirect(household)`` (the project sets ``Household.get_absolute_url``), never by naming it.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import access_log, personal_data, selectors, services
from .consent import CURRENT_CONSENT_VERSION, consent_text
from .forms import HouseholdCreateForm, HouseholdForm, HouseholdSearchForm

# --- households -------------------------------------------------------------------------------


@login_required
def household_list(request):
    form = HouseholdSearchForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    paginator = Paginator(selectors.household_list(request.user, q=q), settings.PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    access_log.record_list(request, page.object_list, what=_("liste des foyers"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "acteurs/household_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_create": bool(selectors.household_organisation_ids(request.user)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def household_create(request):
    organisations = selectors.household_organisations_for(request.user)
    if not organisations:
        raise PermissionDenied
    form = HouseholdCreateForm(
        request.POST or None,
        organisations=organisations,
        communes=selectors.communes_for(request.user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            household = services.household_create(
                actor=request.user,
                organisation=form.cleaned_data["organisation"],
                informed=form.cleaned_data["informed"],
                **form.household_fields(),
            )
        except services.HouseholdError as error:
            messages.error(request, error.message)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Foyer enregistré."))
            return redirect(household)
    # The wording read to the household, and its organisation's full information notice
    # (acteurs.privacy), printable, to hand over.
    wordings = [
        (organisation, consent_text(CURRENT_CONSENT_VERSION, organisation.name))
        for organisation in organisations
    ]
    return render(
        request,
        "acteurs/household_form.html",
        {"form": form, "household": None, "wordings": wordings},
    )


@login_required
@require_http_methods(["GET", "POST"])
def household_edit(request, pk):
    household = selectors.household_for(request.user, pk)
    if household.is_anonymised:
        messages.error(request, personal_data.anonymised_refusal().message)
        return redirect(household)
    access_log.record_access(request, household, what=_("modification du foyer"))
    form = HouseholdForm(
        request.POST or None, instance=household, communes=selectors.communes_for(request.user)
    )
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.household_update(household.pk, actor=request.user, **fields)
        except services.HouseholdError as error:
            messages.error(request, error.message)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Foyer mis à jour."))
            return redirect(household)
    return render(
        request,
        "acteurs/household_form.html",
        {"form": form, "household": household, "wordings": []},
    )
