"""Gisement and donation pages that need no device: the gisement list and forms, conventions,
the donation forms, documents and the donor link's revocation. Thin: validate a form, read
through selectors, call one service, and turn a refusal into a French message.

The gisement and donation pages, which show devices (``parc``), and the donor's documents are
composed on the top floor (``www``). This floor sends people there with ``redirect(donation)``
and ``{{ donation.get_absolute_url }}``: the project says where a model's page lives
(``ABSOLUTE_URL_OVERRIDES``), ``dons`` never names a page of a floor above."""

import mimetypes

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import ApplicationError
from core.views import attempt, refusal_message
from documents.responses import file_response

from . import selectors, services
from .forms import ConventionForm, DonationForm, GisementFilterForm, GisementForm


def _require_reader(user) -> None:
    if not services.can_read(user):
        raise PermissionDenied


def _require_manager_of(user, refurbisher_id: int) -> None:
    if not services.can_manage(user, refurbisher_id):
        raise PermissionDenied


def _query_without(request, *names) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


# --- gisements ----------------------------------------------------------------------------------


@login_required
def gisement_list(request):
    _require_reader(request.user)
    form = GisementFilterForm(
        request.GET or None, refurbishers=selectors.refurbishers_for_filter(request.user)
    )
    filters = form.cleaned_data if form.is_valid() else {}
    paginator = Paginator(
        selectors.gisement_list(request.user, filters=filters), settings.PAGE_SIZE
    )
    return render(
        request,
        "dons/gisement_list.html",
        {
            "form": form,
            "page": paginator.get_page(request.GET.get("page")),
            "query": _query_without(request, "page"),
            "figures": selectors.roadmap_figures(request.user),
            "can_create": selectors.managed_refurbishers(request.user).exists(),
        },
    )


def _gisement_form(request, *, instance=None):
    return GisementForm(
        request.POST or None,
        instance=instance,
        refurbishers=selectors.managed_refurbishers(request.user),
        donors=selectors.donor_choices(),
        communes=selectors.communes_for_gisements(request.user),
        initial={"donor": instance.donor_id} if instance else None,
    )


def _donor_from_form(request, form, refurbisher):
    if form.cleaned_data["donor"]:
        return form.cleaned_data["donor"]
    return services.donor_create(
        actor=request.user,
        refurbisher=refurbisher,
        name=form.cleaned_data["new_donor_name"],
        siret=form.cleaned_data["new_donor_siret"],
        commune=form.cleaned_data["commune"],
    )


@login_required
@require_http_methods(["GET", "POST"])
def gisement_create(request):
    if not selectors.managed_refurbishers(request.user).exists():
        raise PermissionDenied
    form = _gisement_form(request)
    if request.method == "POST" and form.is_valid():
        refurbisher = form.cleaned_data["refurbisher"]
        try:
            donor = _donor_from_form(request, form, refurbisher)
            gisement = services.gisement_create(
                actor=request.user,
                refurbisher=refurbisher,
                donor=donor,
                **form.gisement_fields(),
            )
        except (ApplicationError, ValidationError) as error:
            messages.error(request, refusal_message(error))
        else:
            messages.success(request, _("Gisement enregistré."))
            return redirect(gisement)
    return render(request, "dons/gisement_form.html", {"form": form, "gisement": None})


@login_required
@require_http_methods(["GET", "POST"])
def gisement_edit(request, pk):
    gisement = selectors.gisement_for(request.user, pk)
    _require_manager_of(request.user, gisement.refurbisher_id)
    form = _gisement_form(request, instance=gisement)
    if request.method == "POST" and form.is_valid():
        try:
            donor = _donor_from_form(request, form, gisement.refurbisher)
            services.gisement_update(
                gisement.pk, actor=request.user, donor=donor, **form.gisement_fields()
            )
        except (ApplicationError, ValidationError) as error:
            messages.error(request, refusal_message(error))
        else:
            messages.success(request, _("Gisement mis à jour."))
            return redirect(gisement)
    return render(request, "dons/gisement_form.html", {"form": form, "gisement": gisement})


# --- conventions --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def convention_create(request, gisement_pk):
    gisement = selectors.gisement_for(request.user, gisement_pk)
    _require_manager_of(request.user, gisement.refurbisher_id)
    form = ConventionForm(request.POST or None, request.FILES or None)
    if (
        request.method == "POST"
        and form.is_valid()
        and attempt(
            request,
            services.convention_create,
            gisement.pk,
            actor=request.user,
            **form.convention_fields(),
            success=_("Convention enregistrée."),
        )
    ):
        return redirect(gisement)
    return render(
        request,
        "dons/convention_form.html",
        {"form": form, "gisement": gisement, "convention": None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def convention_edit(request, pk):
    convention = selectors.convention_for(request.user, pk)
    gisement = convention.gisement
    _require_manager_of(request.user, gisement.refurbisher_id)
    form = ConventionForm(request.POST or None, request.FILES or None, instance=convention)
    if (
        request.method == "POST"
        and form.is_valid()
        and attempt(
            request,
            services.convention_update,
            convention.pk,
            actor=request.user,
            **form.convention_fields(),
            success=_("Convention mise à jour."),
        )
    ):
        return redirect(gisement)
    return render(
        request,
        "dons/convention_form.html",
        {"form": form, "gisement": gisement, "convention": convention},
    )


@login_required
def convention_document(request, pk):
    convention = selectors.convention_for(request.user, pk)
    if not convention.document:
        raise Http404
    return _file_response(convention.document)


def _file_response(field_file):
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    name = field_file.name.rsplit("/", 1)[-1]
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return file_response(handle, name, content_type=content_type)


# --- donations ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def donation_create(request, gisement_pk):
    gisement = selectors.gisement_for(request.user, gisement_pk)
    _require_manager_of(request.user, gisement.refurbisher_id)
    form = DonationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            donation = services.donation_create(
                gisement.pk, actor=request.user, lines=form.lines(), **form.donation_fields()
            )
        except (ApplicationError, ValidationError) as error:
            messages.error(request, refusal_message(error))
        else:
            messages.success(request, _("Don enregistré : il est annoncé."))
            return redirect(donation)
    return render(
        request,
        "dons/donation_form.html",
        {"form": form, "gisement": gisement, "donation": None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def donation_edit(request, pk):
    donation = selectors.donation_for(request.user, pk)
    _require_manager_of(request.user, donation.gisement.refurbisher_id)
    form = DonationForm(request.POST or None, initial=DonationForm.initial_for(donation))
    if (
        request.method == "POST"
        and form.is_valid()
        and attempt(
            request,
            services.donation_update,
            donation.pk,
            actor=request.user,
            lines=form.lines(),
            **form.donation_fields(),
            success=_("Don mis à jour."),
        )
    ):
        return redirect(donation)
    return render(
        request,
        "dons/donation_form.html",
        {"form": form, "gisement": donation.gisement, "donation": donation},
    )


@login_required
def document_download(request, pk, document_pk):
    document = selectors.donation_document_for(request.user, pk, document_pk)
    return _file_response(document.file)


# --- the donor's link -------------------------------------------------------------------------


@login_required
@require_POST
def donor_link_revoke(request, pk):
    donation = selectors.donation_for(request.user, pk)
    try:
        services.donation_share_link_revoke(donation.pk, request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Les liens déjà envoyés au donateur ne fonctionnent plus."))
    return redirect(donation)
