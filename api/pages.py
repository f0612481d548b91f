"""The account's API pages: tokens (created, shown once, revoked), the registration agent
(download and checksum), webhooks and their deliveries (organisation admins), and the
upload of an agent's offline bundle from a device's page. Thin: validate a form, call one
service, turn a refusal into a message."""

import hashlib
import json
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from acteurs.permissions import POOL_ROLES, has_role
from core.views import attempt
from parc import selectors as parc_selectors
from parc.extensions import PageLink

from . import tokens
from .evidence import evidence_apply
from .forms import MAX_BUNDLE_BYTES, BundleForm, TokenForm, WebhookForm
from .serializers.devices import BundleSerializer
from .webhooks import services as webhooks

AGENT_PATH = Path(settings.BASE_DIR) / "agent" / "filiere_agent.py"


@cache
def agent_checksum() -> str:
    return hashlib.sha256(AGENT_PATH.read_bytes()).hexdigest()


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    form = TokenForm(
        request.POST or None, agent_organisations=tokens.agent_organisations(request.user)
    )
    created = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        outcome = attempt(
            request,
            tokens.token_create,
            request.user,
            name=data["name"],
            scope=data["scope"],
            days=data["days"],
            organisation=data.get("organisation"),
            nwipe_method=data.get("nwipe_method") or "zero",
        )
        if outcome:
            # Shown in this response only: never stored, never put in a message or a URL.
            created = outcome.value
            form = TokenForm(agent_organisations=tokens.agent_organisations(request.user))
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "tokens": tokens.tokens_for(request.user)[:100],
            "created": created,
        },
    )


@login_required
@require_POST
def token_revoke(request, pk):
    outcome = attempt(request, tokens.token_revoke, request.user, pk)
    if outcome:
        messages.success(request, _("Jeton « %(name)s » révoqué.") % {"name": outcome.value.name})
    return redirect("api_tokens")


@login_required
def agent_page(request):
    return render(
        request,
        "api/agent.html",
        {"checksum": agent_checksum(), "size": AGENT_PATH.stat().st_size},
    )


@login_required
def agent_download(request):
    response = FileResponse(AGENT_PATH.open("rb"), as_attachment=True, filename="filiere_agent.py")
    response["Content-Type"] = "text/x-python; charset=utf-8"
    response["X-Content-SHA256"] = agent_checksum()
    return response


@login_required
@require_http_methods(["GET", "POST"])
def webhook_list(request):
    organisations = webhooks.admin_organisations(request.user)
    if not organisations.exists():
        raise Http404
    form = WebhookForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        outcome = attempt(
            request,
            webhooks.webhook_create,
            request.user,
            organisation=form.cleaned_data["organisation"],
            url=form.cleaned_data["url"],
            events=form.cleaned_data["events"],
            success=_("Webhook enregistré : son secret de signature est affiché ci-dessous."),
        )
        if outcome:
            return redirect("api_webhook", pk=outcome.value.pk)
    return render(
        request,
        "api/webhooks.html",
        {"form": form, "webhooks": webhooks.webhooks_for(request.user)[:100]},
    )


@never_cache
@login_required
def webhook_detail(request, pk):
    try:
        webhook = webhooks.webhook_for(request.user, pk)
    except webhooks.NotFound:
        raise Http404 from None
    return render(
        request,
        "api/webhook_detail.html",
        {"webhook": webhook, "deliveries": webhooks.deliveries_of(webhook)},
    )


@login_required
@require_POST
def webhook_delete(request, pk):
    if attempt(request, webhooks.webhook_delete, request.user, pk, success=_("Webhook supprimé.")):
        return redirect("api_webhooks")
    return redirect("api_webhook", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def bundle_upload(request, code):
    """A bundle the agent wrote on its USB stick without a network, given on the device page."""
    device = parc_selectors.device_for_page(request.user, code)
    form = BundleForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["bundle"]
        data = _read_bundle(request, upload, device.public_code)
        if data is not None:
            outcome = attempt(request, evidence_apply, request.user, device, data)
            if outcome:
                _tell_outcome(request, outcome.value)
                return redirect("parc:device", code=device.public_code)
    return render(request, "api/bundle_upload.html", {"device": device, "form": form})


def _read_bundle(request, upload, code: str) -> dict | None:
    if upload.size > MAX_BUNDLE_BYTES:
        messages.error(request, _("Ce fichier est trop gros pour être un paquet de l'agent."))
        return None
    try:
        content = json.loads(upload.read(MAX_BUNDLE_BYTES + 1).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        messages.error(request, _("Ce fichier n'est pas un paquet de l'agent (JSON illisible)."))
        return None
    serializer = BundleSerializer(data=content)
    if not serializer.is_valid():
        messages.error(request, _("Ce fichier n'est pas un paquet de l'agent Filière."))
        return None
    data = serializer.validated_data
    try:
        same = parc_selectors.device_for_page(request.user, data["code"]).public_code == code
    except Http404:
        same = False
    if not same:
        messages.error(
            request,
            _("Ce paquet concerne l'appareil %(other)s, pas %(code)s.")
            % {"other": data["code"], "code": code},
        )
        return None
    return data


def _tell_outcome(request, outcome) -> None:
    parts = [_("Paquet de l'agent accepté.")]
    if outcome.filled:
        parts.append(_("Complété : %(fields)s.") % {"fields": ", ".join(outcome.filled)})
    if outcome.media_created:
        parts.append(_("%(n)s support(s) ajouté(s).") % {"n": len(outcome.media_created)})
    if outcome.erasures:
        parts.append(_("%(n)s effacement(s) enregistré(s).") % {"n": len(outcome.erasures)})
    messages.success(request, " ".join(parts))
    for file in outcome.files:
        if file["status"] == "refused":
            messages.warning(request, _("Journal d'effacement : %(m)s") % {"m": file["message"]})


def bundle_upload_link(request, device):
    """On the device page (parc.extensions): where to give a bundle the agent wrote offline,
    for those who may attach evidence to the device."""
    if device.is_terminal or not has_role(request.user, device.owner_id, POOL_ROLES):
        return []
    return [
        PageLink(
            _("Déposer un paquet de l'agent"),
            reverse("api_bundle_upload", args=[device.public_code]),
        )
    ]
