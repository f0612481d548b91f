"""Login, lockout, password reset (throttled), the second factor (verify, set up, recovery
codes). Thin: the rules live in acteurs.second_factor, acteurs.lockout and
acteurs.throttling. (The page of personal-data accesses is in acteurs.privacy_views.)"""

import hashlib

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import InvalidInput
from documents.qr import qr_svg_compact

from . import access_log, second_factor, throttling
from .lockout import client_address
from .middleware import idle_limit_seconds, start_session_clock


class LoginForm(AuthenticationForm):
    shared_computer = forms.BooleanField(
        label=gettext_lazy("Poste partagé"),
        required=False,
        help_text=gettext_lazy(
            "Cochez sur un ordinateur d'accueil ou prêté : la session se ferme à la fermeture "
            "du navigateur."
        ),
    )


def _login_context(request) -> dict:
    return {
        "second_factor_waived": not settings.SECOND_FACTOR_REQUIRED,
        "lockout_failures": settings.LOGIN_FAILURES_PER_ACCOUNT,
        "lockout_minutes": settings.LOGIN_LOCKOUT_MINUTES,
    }


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **_login_context(self.request)}

    def form_valid(self, form):
        response = super().form_valid(form)
        if form.cleaned_data.get("shared_computer"):
            # A cookie without an expiry: gone when the browser closes.
            self.request.session.set_expiry(0)
        return response


def on_user_logged_in(sender, request, user, **kwargs):
    """Every login (the form, the admin's, a test's force_login): start the session clocks and
    note what the second factor still asks."""
    if request is None or not hasattr(request, "session"):
        return
    start_session_clock(request.session)
    request.session[second_factor.SESSION_KEY] = second_factor.state_at_login(user)


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' lockout: the login page again, with the reason, in French (HTTP 429)."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = LoginForm(request, initial={"username": username})
    context = {
        "form": form,
        "locked_out": True,
        "next": request.POST.get("next") or request.GET.get("next", ""),
        **_login_context(request),
    }
    return render(request, "registration/login.html", context, status=429)


# --- password reset ---------------------------------------------------------------------------


def _hashed(text: str) -> str:
    # The cache keys carry no e-mail address in clear.
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset form, limited per e-mail address and per client address and hour: an
    address cannot be flooded with e-mails, nor the form used to probe many addresses. The
    refusal is the same whether the address has an account or not."""

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        address = client_address(self.request) or "-"
        per_email = throttling.allow(
            f"reset:email:{_hashed(email)}",
            limit=settings.PASSWORD_RESET_PER_EMAIL_PER_HOUR,
            window_seconds=3600,
        )
        per_address = throttling.allow(
            f"reset:ip:{_hashed(address)}",
            limit=settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR,
            window_seconds=3600,
        )
        if not (per_email and per_address):
            form.add_error(
                None,
                _(
                    "Trop de demandes de réinitialisation en peu de temps : réessayez dans une "
                    "heure. Si vous avez déjà reçu un e-mail, utilisez le lien qu'il contient."
                ),
            )
            response = self.form_invalid(form)
            response.status_code = 429
            return response
        return super().form_valid(form)


# --- the second factor --------------------------------------------------------------------------


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )


def _next_url(request) -> str:
    """Where to go after the step: a path of this site, or the home page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")
        and len(target) <= 2000
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@login_required
@require_http_methods(["GET", "POST"])
def second_factor_verify(request):
    if request.session.get(second_factor.SESSION_KEY) != second_factor.VERIFY:
        return HttpResponseRedirect(_next_url(request))
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            second_factor.verify(request, form.cleaned_data["code"])
        except InvalidInput as error:
            form.add_error("code", error.message)
            status = 400
        else:
            return HttpResponseRedirect(_next_url(request))
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "registration/second_factor_verify.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def second_factor_enrol(request):
    """Set up the authenticator app: a QR code (drawn here, no third party) and the secret to
    type, then the first code to confirm. Then the recovery codes, shown once."""
    if (
        second_factor.has_device(request.user)
        and request.session.get(second_factor.SESSION_KEY) == second_factor.VERIFY
    ):
        return redirect("second_factor_verify")
    device = second_factor.pending_enrolment(request.user)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            codes = second_factor.confirm_enrolment(request, form.cleaned_data["code"])
        except InvalidInput as error:
            form.add_error("code", error.message)
            status = 400
        else:
            return render(
                request,
                "registration/recovery_codes.html",
                {"codes": codes, "next": _next_url(request), "first_time": True},
            )
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "registration/second_factor_enrol.html",
        {
            "form": form,
            "qr": mark_safe(qr_svg_compact(device.config_url)),  # noqa: S308 - our own SVG
            "secret": second_factor.secret_for_typing(device),
            "required": second_factor.is_required(request.user),
            "next": request.POST.get("next") or request.GET.get("next", ""),
        },
        status=status,
    )


@login_required
def account_security(request):
    user = request.user
    return render(
        request,
        "registration/account_security.html",
        {
            "has_device": second_factor.has_device(user),
            "required": second_factor.is_required(user),
            "codes_left": second_factor.recovery_codes_left(user),
            "shared_computer": request.session.get_expire_at_browser_close(),
            "idle_minutes": idle_limit_seconds(user) // 60,
            "max_hours": settings.SESSION_MAX_HOURS,
            "can_read_accesses": bool(access_log.admin_organisation_ids(user)),
        },
    )


@login_required
@require_POST
def recovery_codes_renew(request):
    try:
        codes = second_factor.new_recovery_codes(request.user)
    except InvalidInput as error:
        messages.error(request, error.message)
        return redirect("account_security")
    return render(
        request,
        "registration/recovery_codes.html",
        {"codes": codes, "next": "account_security", "first_time": False},
    )


@login_required
@require_POST
def second_factor_disable(request):
    try:
        second_factor.disable(request.user)
    except InvalidInput as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Double authentification désactivée."))
    return redirect("account_security")
