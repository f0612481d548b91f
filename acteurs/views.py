"""The household list and forms. The household's page, which opens onto its workshops and
its equipment file (floors above), is composed in ``www``: views here send people to it with
``redirect(household)`` (the project sets ``Household.get_absolute_url``), never by naming it.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import access_log, household_columns, personal_data, selectors, services
from .consent import CURRENT_CONSENT_VERSION, consent_text
from .forms import HouseholdCreateForm, HouseholdForm, HouseholdSearchForm
from .list_filters import remembered_filters

# --- households -------------------------------------------------------------------------------


HOUSEHOLD_LIST = "acteurs.households"


@login_required
@require_http_methods(["GET", "POST"])
def household_list(request):
    remembered = remembered_filters(request, HOUSEHOLD_LIST, HouseholdSearchForm.NAMES)
    if request.method == "POST":
        # « Réinitialiser les filtres »
        remembered.forget()
        return redirect("households")
    if remembered.redirect_url:
        return HttpResponseRedirect(remembered.redirect_url)
    form = HouseholdSearchForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    if form.is_valid():
        remembered.remember()
    order = data.get("tri") or "nom"
    households = selectors.household_list(request.user, q=data.get("q", ""), order=order)
    paginator = Paginator(households, settings.PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    access_log.record_list(request, page.object_list, what=_("liste des foyers"))
    query = request.GET.copy()
    query.pop("page", None)
    rows = list(page.object_list)
    # Columns of the apps above (the loan scheme's request and loan): one cell per row.
    extra = household_columns.cells_for(rows, request.user) if rows else []
    return render(
        request,
        "acteurs/household_list.html",
        {
            "form": form,
            "page": page,
            "rows": [
                (h, [(column.label, cells.get(h.pk, "")) for column, cells in extra]) for h in rows
            ],
            "extra_columns": [column for column, _cells in extra],
            "query": query.urlencode(),
            "sort_links": _sort_links(query, order),
            "filtered": remembered.active,
            "can_create": bool(selectors.household_organisation_ids(request.user)),
        },
    )


# Column headers that sort the household list: (column, ascending key, descending key).
SORTABLE = {"name": ("nom", "-nom"), "contact": ("contact", "-contact")}


def _sort_links(query, order: str) -> dict:
    links = {}
    for column, (ascending, descending) in SORTABLE.items():
        params = query.copy()
        state = {ascending: "ascending", descending: "descending"}.get(order, "none")
        params["tri"] = descending if order == ascending else ascending
        links[column] = {"url": "?" + params.urlencode(), "aria_sort": state}
    return links


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
