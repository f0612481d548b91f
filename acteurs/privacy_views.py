"""Pages of personal data: a household's export and erasure (its rights), the organisation
admins' record of accesses (filtered, paginated, a household's accesses as CSV), the record of
processing and the organisations' information notices (page and PDF), the organisation's
data-protection contacts. Thin: the rules live in acteurs.personal_data, acteurs.access_log
and acteurs.privacy."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.bounds import parse_id
from core.views import attempt
from documents.rendering import render_pdf
from documents.responses import csv_response, json_response, pdf_response

from . import access_log, personal_data, privacy, selectors, services
from .forms import AccessFilterForm, EraseForm, PrivacyContactForm
from .models import Household, Organisation, PersonalDataAccess
from .permissions import HOUSEHOLD_ROLES, organisations_with_role

# --- a household's rights -----------------------------------------------------------------------


@login_required
def household_export(request, pk):
    household = selectors.household_for(request.user, pk)
    exported = attempt(request, personal_data.household_export, household.pk, request.user)
    if not exported:
        return redirect(household)
    access_log.record_access(
        request,
        household,
        what=_("export des données du foyer (JSON)"),
        action=PersonalDataAccess.Action.EXPORT,
    )
    return json_response(exported.value, f"foyer-{household.pk}.json")


@login_required
@require_http_methods(["GET", "POST"])
def household_erase(request, pk):
    household = selectors.household_for(request.user, pk)
    if not personal_data.may_exercise_rights(request.user, household):
        raise Http404
    form = EraseForm(request.POST or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and attempt(
            request,
            personal_data.household_erase,
            household.pk,
            request.user,
            success=_("Les données personnelles du foyer ont été effacées."),
        )
    ):
        return redirect(household)
    return render(request, "acteurs/household_erase.html", {"form": form, "household": household})


# --- the record of accesses -----------------------------------------------------------------------


def _refused(request, template, context=None):
    return render(request, template, {"page": None, **(context or {})}, status=403)


@login_required
def personal_data_accesses(request):
    if not access_log.admin_organisation_ids(request.user):
        return _refused(request, "acteurs/personal_data_accesses.html")
    form = AccessFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    household = _admin_household(request.user, filters.get("foyer"))
    accesses = access_log.accesses_visible_to(
        request.user,
        household_id=household.pk if household else None,
        person=filters.get("personne") or "",
        since=filters.get("du"),
        until=filters.get("au"),
    )
    page = Paginator(accesses, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "acteurs/personal_data_accesses.html",
        {
            "page": page,
            "form": form,
            "household": household,
            "query": query.urlencode(),
            "retention_days": settings.ACCESS_LOG_RETENTION_DAYS,
        },
    )


def _admin_household(user, household_id) -> Household | None:
    """A household of an organisation where the user is an admin, or None."""
    if not household_id:
        return None
    return (
        Household.objects.filter(
            pk=household_id, organisation_id__in=access_log.admin_organisation_ids(user)
        )
        .select_related("organisation")
        .first()
    )


@login_required
def personal_data_accesses_csv(request):
    """One household's accesses, for its subject-access request."""
    household = _admin_household(request.user, parse_id(request.GET.get("foyer")))
    if household is None:
        raise Http404
    access_log.record_access(
        request,
        household,
        what=_("export des accès au dossier (demande d'accès)"),
        action=PersonalDataAccess.Action.EXPORT,
    )
    rows = access_log.csv_rows(
        access_log.accesses_visible_to(request.user, household_id=household.pk)
    )
    return csv_response(rows, f"acces-foyer-{household.pk}.csv")


# --- the record of processing and the information notice --------------------------------------


def _admin_organisations(user):
    return Organisation.objects.filter(pk__in=access_log.admin_organisation_ids(user)).order_by(
        "name"
    )


def _chosen(organisations, raw):
    wanted = parse_id(raw)
    chosen = next((o for o in organisations if o.pk == wanted), None)
    return chosen or (organisations[0] if organisations else None)


@login_required
def record_of_processing(request, pdf=False):
    organisations = list(_admin_organisations(request.user))
    if not organisations:
        return _refused(request, "acteurs/record_of_processing.html", {"record": None})
    controller = _chosen(organisations, request.GET.get("organisation"))
    record = privacy.record_of_processing(controller)
    if pdf:
        document = render_pdf("acteurs/pdf/record_of_processing.html", {"record": record})
        return pdf_response(document, f"registre-des-traitements-{controller.pk}.pdf", inline=True)
    return render(
        request,
        "acteurs/record_of_processing.html",
        {"record": record, "organisations": organisations},
    )


def _member_organisation(user, pk) -> Organisation:
    """An organisation where the user records households (its notice is theirs to give)."""
    if pk not in organisations_with_role(user, HOUSEHOLD_ROLES):
        raise Http404
    return Organisation.objects.get(pk=pk)


@login_required
def information_notice(request, pk, pdf=False):
    notice = privacy.information_notice(_member_organisation(request.user, pk))
    if pdf:
        document = render_pdf("acteurs/pdf/information_notice.html", {"notice": notice})
        return pdf_response(document, f"notice-information-{pk}.pdf", inline=True)
    return render(request, "acteurs/information_notice.html", {"notice": notice})


@login_required
@require_http_methods(["GET", "POST"])
def privacy_contact(request):
    organisations = list(_admin_organisations(request.user))
    if not organisations:
        return _refused(request, "acteurs/privacy_contact.html", {"form": None})
    organisation = _chosen(organisations, request.GET.get("organisation"))
    form = PrivacyContactForm(request.POST or None, instance=organisation)
    if (
        request.method == "POST"
        and form.is_valid()
        and attempt(
            request,
            services.organisation_privacy_contact_update,
            organisation.pk,
            actor=request.user,
            **{name: form.cleaned_data[name] for name in form.Meta.fields},
            success=_("Coordonnées enregistrées : la notice d'information les reprend."),
        )
    ):
        return redirect(f"{request.path}?organisation={organisation.pk}")
    return render(
        request,
        "acteurs/privacy_contact.html",
        {"form": form, "organisation": organisation, "organisations": organisations},
    )
