"""Gisement and donation pages. Thin: validate a form, read through selectors, call one
service, and turn a refusal into a French message."""

import mimetypes

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from acteurs.permissions import POOL_ROLES, has_role
from core.errors import ApplicationError
from core.views import attempt, refusal_message
from documents.rendering import render_pdf
from documents.responses import file_response, pdf_response

from . import selectors, services, signing
from .forms import (
    TRANSITION_FORMS,
    ConventionForm,
    DocumentForm,
    DonationForm,
    GisementFilterForm,
    GisementForm,
)
from .models import Donation, DonationState

OPEN_STATES = (DonationState.ANNOUNCED, DonationState.COLLECTED, DonationState.RECEIVED)


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


@login_required
def gisement_detail(request, pk):
    gisement = selectors.gisement_for(request.user, pk)
    paginator = Paginator(selectors.gisement_donations(gisement), settings.PAGE_SIZE)
    return render(
        request,
        "dons/gisement_detail.html",
        {
            "gisement": gisement,
            "page": paginator.get_page(request.GET.get("page")),
            "query": _query_without(request, "page"),
            "can_manage": services.can_manage(request.user, gisement.refurbisher_id),
            "today": timezone.localdate(),
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
            return redirect("dons:gisement", pk=gisement.pk)
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
            return redirect("dons:gisement", pk=gisement.pk)
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
        return redirect("dons:gisement", pk=gisement.pk)
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
        return redirect("dons:gisement", pk=gisement.pk)
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
            return redirect("dons:donation", pk=donation.pk)
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
        return redirect("dons:donation", pk=donation.pk)
    return render(
        request,
        "dons/donation_form.html",
        {"form": form, "gisement": donation.gisement, "donation": donation},
    )


def _donation_page(request, donation, *, bound=None, document_form=None, status=200):
    """The donation page; ``bound`` is a transition form that failed, shown with its errors."""
    user = request.user
    paginator = Paginator(selectors.donation_devices(donation), settings.PAGE_SIZE)
    actions = []
    for info in selectors.transitions_for(donation, user):
        form = bound if bound is not None and bound.prefix == info.name else None
        if form is None:
            form = TRANSITION_FORMS[info.name](
                prefix=info.name, initial={"expected_state": donation.state}
            )
        actions.append({"info": info, "form": form})
    can_manage = services.can_manage(user, donation.gisement.refurbisher_id)
    return render(
        request,
        "dons/donation_detail.html",
        {
            "donation": donation,
            "gisement": donation.gisement,
            "page": paginator.get_page(request.GET.get("page")),
            "query": _query_without(request, "page"),
            "progress": selectors.donation_progress(donation),
            "events": selectors.donation_history(donation),
            "actions": actions,
            "can_manage": can_manage,
            "can_register": donation.state in OPEN_STATES
            and (user.is_superuser or has_role(user, donation.gisement.refurbisher_id, POOL_ROLES)),
            "document_form": document_form or (DocumentForm() if can_manage else None),
        },
        status=status,
    )


@login_required
def donation_detail(request, pk):
    return _donation_page(request, selectors.donation_for(request.user, pk))


SERVICES = {
    "collect": lambda pk, user, data: services.donation_collect(
        pk, user, pickup_date=data.get("pickup_date"), **_common(data)
    ),
    "receive": lambda pk, user, data: services.donation_receive(
        pk, user, received_on=data["received_on"], weight_kg=data.get("weight_kg"), **_common(data)
    ),
    "close": lambda pk, user, data: services.donation_close(pk, user, **_common(data)),
    "cancel": lambda pk, user, data: services.donation_cancel(pk, user, **_common(data)),
}


def _common(data) -> dict:
    return {"expected_state": data["expected_state"], "note": data.get("note", "")}


@login_required
@require_POST
def donation_transition(request, pk, name):
    donation = selectors.donation_for(request.user, pk)
    if name not in SERVICES:
        raise Http404
    info = services.TRANSITIONS[name]
    form = TRANSITION_FORMS[name](request.POST, prefix=name)
    if not form.is_valid():
        messages.error(
            request,
            _("« %(action)s » n'a pas été fait : corrigez le formulaire.") % {"action": info.label},
        )
        return _donation_page(request, donation, bound=form, status=400)
    try:
        SERVICES[name](donation.pk, request.user, form.cleaned_data)
    except (ApplicationError, ValidationError) as error:
        messages.error(request, refusal_message(error))
    else:
        donation.refresh_from_db(fields=["state"])
        messages.success(
            request,
            _("%(action)s : fait. Le don est maintenant « %(state)s ».")
            % {"action": info.label, "state": donation.get_state_display()},
        )
    return redirect("dons:donation", pk=donation.pk)


@login_required
@require_POST
def document_add(request, pk):
    donation = selectors.donation_for(request.user, pk)
    _require_manager_of(request.user, donation.gisement.refurbisher_id)
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Le document n'a pas été ajouté : corrigez le formulaire."))
        return _donation_page(request, donation, document_form=form, status=400)
    attempt(
        request,
        services.donation_document_add,
        donation.pk,
        request.user,
        **form.cleaned_data,
        success=_("Document ajouté."),
    )
    return redirect("dons:donation", pk=donation.pk)


@login_required
def document_download(request, pk, document_pk):
    document = selectors.donation_document_for(request.user, pk, document_pk)
    return _file_response(document.file)


# --- donor documents ----------------------------------------------------------------------------


@login_required
def donation_receipt(request, pk):
    """The "attestation de don": what was received, by kind, with serials."""
    donation = selectors.donation_for(request.user, pk)
    if donation.state in (DonationState.ANNOUNCED, DonationState.CANCELLED):
        messages.error(request, _("L'attestation de don s'établit une fois le don réceptionné."))
        return redirect("dons:donation", pk=donation.pk)
    pdf = render_pdf(
        "dons/pdf/attestation.html",
        {
            "donation": donation,
            "gisement": donation.gisement,
            "kinds": selectors.receipt_devices(donation),
            "progress": selectors.donation_progress(donation),
            "printed_on": timezone.localdate(),
        },
    )
    return pdf_response(pdf, f"attestation-don-{donation.pk}.pdf", inline=True)


@login_required
@require_POST
def donor_link(request, pk):
    donation = selectors.donation_for(request.user, pk)
    try:
        services.donation_share_link_issued(donation.pk, request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("dons:donation", pk=donation.pk)
    return render(
        request,
        "dons/donor_link.html",
        {
            "donation": donation,
            "url": signing.donor_url(donation),
            "expires_on": timezone.localdate() + signing.max_age(),
        },
    )


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
    return redirect("dons:donation", pk=donation.pk)


def _private(response):
    # The address carries the token: keep it out of search engines, referrers and caches.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response


def donor_page(request, token):
    """The donor's read-only page: progress by counts, no personal data. No login."""
    try:
        share_key = signing.read_token(token)
    except signing.LinkExpired:
        return _private(
            render(request, "dons/donor_link_invalid.html", {"expired": True}, status=410)
        )
    except signing.LinkInvalid:
        return _private(
            render(request, "dons/donor_link_invalid.html", {"expired": False}, status=404)
        )
    donation = (
        Donation.objects.select_related("gisement__donor", "gisement__refurbisher")
        .prefetch_related("lines")
        .filter(share_key=share_key)
        .first()
    )
    if donation is None:  # revoked
        return _private(
            render(request, "dons/donor_link_invalid.html", {"expired": False}, status=404)
        )
    return _private(
        render(
            request,
            "dons/donor_page.html",
            {
                "donation": donation,
                "gisement": donation.gisement,
                "progress": selectors.donation_progress(donation),
            },
        )
    )
