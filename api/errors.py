"""Every refusal of the API as ``{"code", "message"}`` with its HTTP status, in French.

- ``core.errors.ApplicationError``, the one refusal type of every service: its code, message
  and status;
- a serializer's ``ValidationError``: 400 ``invalid``, the message of the first field and
  every field's messages in ``errors``;
- Django's ``ValidationError`` (a model's ``full_clean`` in a service): 400 ``invalid``;
- 404 ``not_found`` (another organisation's object is a 404 too), 403 ``not_permitted`` or
  ``scope_insufficient``, 401 ``not_authenticated`` or the token's refusal
  (``token_expired``, ``token_revoked``, ``token_unknown``), 429 ``throttled``, 405, 406,
  415 and 400 ``parse_error`` for a body that is not JSON.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response

from core.errors import ApplicationError

from .authentication import TokenAuthenticationFailed
from .permissions import TokenScope


def error_response(code: str, message: str, http_status: int, **extra) -> Response:
    return Response({"code": code, "message": str(message), **extra}, status=http_status)


def _flatten(detail, prefix="") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field.sub": ["message", …]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
                name = f"{prefix}[{key}]"
            elif key == "non_field_errors" and prefix:
                name = prefix
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            for field, messages in _flatten(value, name).items():
                flat.setdefault(field, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            flat[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                name = f"{prefix}[{index}]" if prefix else f"[{index}]"
                for field, messages in _flatten(item, name).items():
                    flat.setdefault(field, []).extend(messages)
    else:
        flat[prefix or "non_field_errors"] = [str(detail)]
    return flat


def _field_label(name: str) -> str:
    return "" if name == "non_field_errors" else f"{name} : "


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return error_response(exc.code, exc.message, exc.status, **_field(exc))
    if isinstance(exc, DjangoValidationError):
        fields = (
            {name: [str(m) for m in messages] for name, messages in exc.message_dict.items()}
            if hasattr(exc, "error_dict")
            else {}
        )
        return error_response("invalid", " ".join(exc.messages), 400, **_errors(fields))
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first_field, first_messages = next(iter(fields.items()))
        return error_response(
            "invalid", _field_label(first_field) + first_messages[0], 400, errors=fields
        )
    if isinstance(exc, (Http404, exceptions.NotFound)):
        return error_response("not_found", _("Introuvable."), 404)
    if isinstance(exc, TokenAuthenticationFailed):
        response = error_response(exc.filiere_code, exc.detail, 401)
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        code = (
            "not_authenticated" if isinstance(exc, exceptions.NotAuthenticated) else "auth_failed"
        )
        message = (
            _("Identifiez-vous : jeton (Authorization: Bearer …) ou session.")
            if code == "not_authenticated"
            else exc.detail
        )
        http_status = getattr(exc, "auth_status", None) or exc.status_code
        response = error_response(code, message, http_status)
        if getattr(exc, "auth_header", None):
            response["WWW-Authenticate"] = exc.auth_header
        return response
    if isinstance(exc, (PermissionDenied, exceptions.PermissionDenied)):
        code = getattr(exc, "detail", None) and getattr(exc.detail, "code", None)
        if code == TokenScope.code:
            return error_response(code, TokenScope.message, 403)
        if code == "csrf_failed" or "CSRF" in str(getattr(exc, "detail", "")):
            return error_response(
                "csrf_failed", _("Jeton CSRF absent ou invalide : rechargez la page."), 403
            )
        return error_response("not_permitted", _("Vous ne pouvez pas faire cette action."), 403)
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 1)
        response = error_response(
            "throttled",
            _("Trop de requêtes : réessayez dans %(s)s s.") % {"s": wait},
            429,
        )
        response["Retry-After"] = str(wait)
        return response
    if isinstance(exc, exceptions.MethodNotAllowed):
        return error_response("method_not_allowed", _("Méthode non permise ici."), 405)
    if isinstance(exc, exceptions.NotAcceptable):
        return error_response("not_acceptable", _("Cette ressource se lit en JSON."), 406)
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return error_response(
            "unsupported_media_type",
            _("Type de contenu non accepté : envoyez du JSON (application/json)."),
            415,
        )
    if getattr(exc, "default_code", "") == "too_large":
        return error_response("too_large", exc.detail, 413)
    if isinstance(exc, exceptions.ParseError):
        return error_response("parse_error", _("Le corps de la requête est illisible."), 400)
    if isinstance(exc, exceptions.APIException):
        return error_response("error", exc.detail, exc.status_code)
    return None


def _field(exc: ApplicationError) -> dict:
    return {"field": exc.field} if exc.field else {}


def _errors(fields: dict) -> dict:
    return {"errors": fields} if fields else {}
