"""The pages that show a gisement's or a donation's devices beside the donation itself:
``dons`` owns gisements and donations, ``parc`` their devices, so the pages composing both
live here. Thin: read through the apps' selectors, call one ``dons`` service, turn a refusal
into a French message. The forms and pages that need no device stay in ``dons``."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from acteurs.permissions import POOL_ROLES, has_role
from core.errors import ApplicationError
from core.views import attempt, refusal_message
from documents.rendering import render_pdf
from documents.responses import pdf_response, private
from dons import permissions as donation_permissions
from dons import selectors as donation_selectors
from dons import services as donation_services
from dons import signing
from dons.forms import TRANSITION_FORMS, DocumentForm
from dons.models import DonationState
from parc import selectors as device_selectors
from rapports.access import may_report_on

# Donations a device may still be registered for.
OPEN_STATES = (DonationState.ANNOUNCED, DonationState.COLLECTED, DonationState.RECEIVED)


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- the gisement: its conventions and donations, with their device counts ---------------------


@login_required
def gisement(request, pk):
    gisement = donation_selectors.gisement_for(request.user, pk)
    page = Paginator(donation_selectors.gisement_donations(gisement), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    counts = device_selectors.device_counts_by_donation(d.pk for d in page.object_list)
    for donation in page.object_list:
        donation.device_count = counts.get(donation.pk, 0)
    return render(
        request,
        "www/gisement.html",
        {
            "gisement": gisement,
            "page": page,
            "query": _query_without_page(request),
            "can_manage": donation_permissions.can_manage(request.user, gisement.refurbisher_id),
            "may_report": may_report_on(request.user, gisement),
            "today": timezone.localdate(),
        },
    )


# --- the donation: its record, actions and documents, and its devices ------------------------


def _donation_page(request, donation, *, bound=None, document_form=None, status=200):
    """The donation page; ``bound`` is a transition form that failed, shown with its errors."""
    user = request.user
    paginator = Paginator(device_selectors.donation_devices(donation), settings.PAGE_SIZE)
    actions = []
    for info in donation_selectors.transitions_for(donation, user):
        form = bound if bound is not None and bound.prefix == info.name else None
        if form is None:
            form = TRANSITION_FORMS[info.name](
                prefix=info.name, initial={"expected_state": donation.state}
            )
        actions.append({"info": info, "form": form})
    can_manage = donation_permissions.can_manage(user, donation.gisement.refurbisher_id)
    return render(
        request,
        "www/donation.html",
        {
            "donation": donation,
            "gisement": donation.gisement,
            "page": paginator.get_page(request.GET.get("page")),
            "query": _query_without_page(request),
            "progress": device_selectors.donation_progress(donation),
            "events": donation_selectors.donation_history(donation),
            "actions": actions,
            "can_manage": can_manage,
            "may_report": may_report_on(user, donation.gisement),
            "can_register": donation.state in OPEN_STATES
            and (user.is_superuser or has_role(user, donation.gisement.refurbisher_id, POOL_ROLES)),
            "document_form": document_form or (DocumentForm() if can_manage else None),
        },
        status=status,
    )


@login_required
def donation(request, pk):
    return _donation_page(request, donation_selectors.donation_for(request.user, pk))


def _common(data) -> dict:
    return {"expected_state": data["expected_state"], "note": data.get("note", "")}


TRANSITION_SERVICES = {
    "collect": lambda pk, user, data: donation_services.donation_collect(
        pk, user, pickup_date=data.get("pickup_date"), **_common(data)
    ),
    "receive": lambda pk, user, data: donation_services.donation_receive(
        pk, user, received_on=data["received_on"], weight_kg=data.get("weight_kg"), **_common(data)
    ),
    "close": lambda pk, user, data: donation_services.donation_close(pk, user, **_common(data)),
    "cancel": lambda pk, user, data: donation_services.donation_cancel(pk, user, **_common(data)),
}


@login_required
@require_POST
def donation_transition(request, pk, name):
    donation = donation_selectors.donation_for(request.user, pk)
    if name not in TRANSITION_SERVICES:
        raise Http404
    info = donation_services.TRANSITIONS[name]
    form = TRANSITION_FORMS[name](request.POST, prefix=name)
    if not form.is_valid():
        messages.error(
            request,
            _("« %(action)s » n'a pas été fait : corrigez le formulaire.") % {"action": info.label},
        )
        return _donation_page(request, donation, bound=form, status=400)
    try:
        TRANSITION_SERVICES[name](donation.pk, request.user, form.cleaned_data)
    except (ApplicationError, ValidationError) as error:
        messages.error(request, refusal_message(error))
    else:
        donation.refresh_from_db(fields=["state"])
        messages.success(
            request,
            _("%(action)s : fait. Le don est maintenant « %(state)s ».")
            % {"action": info.label, "state": donation.get_state_display()},
        )
    return redirect("www:donation", pk=donation.pk)


@login_required
@require_POST
def donation_document_add(request, pk):
    donation = donation_selectors.donation_for(request.user, pk)
    if not donation_permissions.can_manage(request.user, donation.gisement.refurbisher_id):
        raise PermissionDenied
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Le document n'a pas été ajouté : corrigez le formulaire."))
        return _donation_page(request, donation, document_form=form, status=400)
    attempt(
        request,
        donation_services.donation_document_add,
        donation.pk,
        request.user,
        **form.cleaned_data,
        success=_("Document ajouté."),
    )
    return redirect("www:donation", pk=donation.pk)


# --- for the donor: the receipt, the signed link and the page it opens -------------------------


@login_required
def donation_receipt(request, pk):
    """The "attestation de don": what was received, by kind, with serials."""
    donation = donation_selectors.donation_for(request.user, pk)
    if donation.state in (DonationState.ANNOUNCED, DonationState.CANCELLED):
        messages.error(request, _("L'attestation de don s'établit une fois le don réceptionné."))
        return redirect("www:donation", pk=donation.pk)
    pdf = render_pdf(
        "www/pdf/donation_receipt.html",
        {
            "donation": donation,
            "gisement": donation.gisement,
            "kinds": device_selectors.devices_received_by_kind(donation),
            "progress": device_selectors.donation_progress(donation),
            "printed_on": timezone.localdate(),
        },
    )
    return pdf_response(pdf, f"attestation-don-{donation.pk}.pdf", inline=True)


@login_required
@require_POST
def donor_link(request, pk):
    """Issue the donor's signed link and show it, to copy into a message."""
    donation = donation_selectors.donation_for(request.user, pk)
    try:
        donation_services.donation_share_link_issued(donation.pk, request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("www:donation", pk=donation.pk)
    path = reverse("www:donor_page", args=[signing.make_token(donation)])
    return render(
        request,
        "www/donor_link.html",
        {
            "donation": donation,
            "url": settings.SITE_BASE_URL + path,
            "expires_on": timezone.localdate() + signing.max_age(),
        },
    )


def _invalid_link(request, *, expired: bool):
    context = {"expired": expired}
    status = 410 if expired else 404
    return private(render(request, "www/donor_link_invalid.html", context, status=status))


def donor_page(request, token):
    """The donor's read-only page: progress by counts, no personal data. No login; the
    address carries the token, so the answer is private (no cache, no referrer, no index)."""
    try:
        share_key = signing.read_token(token)
    except signing.LinkExpired:
        return _invalid_link(request, expired=True)
    except signing.LinkInvalid:
        return _invalid_link(request, expired=False)
    donation = donation_selectors.donation_shared(share_key)
    if donation is None:  # revoked
        return _invalid_link(request, expired=False)
    return private(
        render(
            request,
            "www/donor_page.html",
            {
                "donation": donation,
                "gisement": donation.gisement,
                "progress": device_selectors.donation_progress(donation),
            },
        )
    )
