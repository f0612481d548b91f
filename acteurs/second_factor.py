"""The second factor (django-otp): a TOTP authenticator app, and ten single-use recovery codes
(django-otp's static device) for the day the phone is lost.

Required for every organisation's admins (the coordination included) and for operators
(superusers) when ``SECOND_FACTOR_REQUIRED`` is on (production; the demo and the tests turn it
off, see config/settings); optional for everyone else, who may turn it on from "Mon compte".

At login, the session records what the person still has to do (``SESSION_KEY``): "verify"
(they have a device: type a code), "enrol" (required and none yet) or nothing. The gate
(acteurs.middleware.SecondFactorMiddleware) reads only that key, so pages cost no query.
"""

import secrets

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.errors import InvalidInput

from .models import Role
from .permissions import organisations_with_role

SESSION_KEY = "filiere_second_factor"
VERIFY = "verify"
ENROL = "enrol"
RECOVERY_CODES = 10
# Recovery codes: 10 characters from an alphabet without look-alikes (0/O, 1/l/I).
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10
APP_DEVICE_NAME = "Application d'authentification"
RECOVERY_DEVICE_NAME = "Codes de secours"


def is_required(user) -> bool:
    if not settings.SECOND_FACTOR_REQUIRED:
        return False
    return bool(user.is_superuser or organisations_with_role(user, {Role.ADMIN}))


def has_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def state_at_login(user) -> str | None:
    """What the person must do before using the site: VERIFY, ENROL or nothing (None)."""
    if has_device(user):
        return VERIFY
    if is_required(user):
        return ENROL
    return None


def pending_enrolment(user) -> TOTPDevice:
    """The authenticator being set up (not yet confirmed): the same secret until confirmed,
    so reloading the page does not change the QR code the person is scanning."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def secret_for_typing(device: TOTPDevice) -> str:
    """The secret in base32 by groups of four, for an app where it is typed, not scanned."""
    from base64 import b32encode

    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def _clean(token: str) -> str:
    return "".join(str(token or "").split()).lower()


def confirm_enrolment(request, token: str) -> list[str]:
    """Check the first code of the app being set up; on success the app becomes the person's
    second factor (any older one goes), the session counts as verified, and ten new recovery
    codes are returned, to be shown once."""
    user = request.user
    token = _clean(token)
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("-id")
            .first()
        )
        if device is None:
            raise InvalidInput(
                _("Aucune configuration en cours : rechargez la page pour recommencer."),
                code="no_pending_enrolment",
            )
        if not (token.isdigit() and device.verify_token(token)):
            raise InvalidInput(
                _(
                    "Ce code ne correspond pas. Vérifiez l'heure du téléphone et tapez le "
                    "code affiché en ce moment par l'application (6 chiffres)."
                ),
                code="wrong_code",
                field="code",
            )
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _replace_recovery_codes(user)
    otp_login(request, device)
    request.session[SESSION_KEY] = None
    return codes


def _replace_recovery_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODES)
    ]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def new_recovery_codes(user) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    if not has_device(user):
        raise InvalidInput(
            _("Activez d'abord la double authentification."), code="no_second_factor"
        )
    with transaction.atomic():
        return _replace_recovery_codes(user)


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def verify(request, token: str):
    """Check a code from the app or a recovery code (used up on success). Returns the device
    that accepted it; InvalidInput otherwise. django-otp slows down repeated failures."""
    user = request.user
    token = _clean(token)
    if not token:
        raise InvalidInput(_("Tapez le code."), code="empty_code", field="code")
    # Six digits come from the app, anything else is a recovery code: only the device the
    # code is meant for is tried (a failure on one counts towards its own slow-down only).
    kind = TOTPDevice if token.isdigit() and len(token) <= 8 else StaticDevice
    device = None
    with transaction.atomic():
        for candidate in devices_for_user(user, for_verify=True):
            if not isinstance(candidate, kind):
                continue
            allowed, _info = candidate.verify_is_allowed()
            if not allowed:
                raise InvalidInput(
                    _("Trop de codes faux de suite : attendez une minute avant de réessayer."),
                    code="second_factor_throttled",
                    field="code",
                )
            if candidate.verify_token(token):
                device = candidate
                break
    if device is None:
        raise InvalidInput(
            _(
                "Ce code ne convient pas. Tapez le code à 6 chiffres affiché par "
                "l'application, ou un code de secours."
            ),
            code="wrong_code",
            field="code",
        )
    otp_login(request, device)
    request.session[SESSION_KEY] = None
    return device


def disable(user) -> None:
    """Remove the person's second factor (only when it is not required of them)."""
    if is_required(user):
        raise InvalidInput(
            _("La double authentification est obligatoire pour votre rôle."),
            code="second_factor_required",
        )
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
