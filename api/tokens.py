"""Use cases of API tokens: create (the clear token returned once), revoke, list, authenticate.

Anyone may create tokens for themselves (read-only, pool, requests): a token never does more
than its owner may do on the pages. An agent token is created by an admin of a refurbishing
organisation and acts for that organisation only.
"""

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from acteurs.models import Organisation, Role
from acteurs.permissions import has_role, organisations_with_role
from core.errors import InvalidInput, NotFound, NotPermitted

from .models import ApiToken, NwipeMethod, Scope

PREFIX = "fil_"
# What a user may choose; longer-lived tokens are a liability.
LIFETIMES_DAYS = (30, 90, 365)
# last_used_at is written at most this often per token (one UPDATE, not one per request).
LAST_USED_RESOLUTION = dt.timedelta(minutes=5)


def digest(clear: str) -> str:
    return hashlib.sha256(clear.encode()).hexdigest()


def agent_organisations(user) -> QuerySet[Organisation]:
    """Refurbishers for which this user may create agent tokens (their admins)."""
    ids = organisations_with_role(user, {Role.ADMIN})
    queryset = Organisation.objects.filter(is_refurbisher=True)
    if not user.is_superuser:
        queryset = queryset.filter(pk__in=ids)
    return queryset.order_by("name")


def token_create(
    actor,
    *,
    name: str,
    scope: str,
    days: int,
    organisation: Organisation | None = None,
    nwipe_method: str = NwipeMethod.ZERO,
) -> tuple[ApiToken, str]:
    """A new token and its clear text, which is never stored nor shown again."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Donnez un nom au jeton (ex. « poste atelier 2 »)."), code="name")
    if len(name) > 80:
        raise InvalidInput(_("Le nom du jeton fait 80 caractères au plus."), code="name")
    if scope not in Scope.values:
        raise InvalidInput(_("Portée inconnue."), code="scope")
    if nwipe_method not in NwipeMethod.values:
        raise InvalidInput(_("Méthode d'effacement inconnue."), code="nwipe_method")
    if days not in LIFETIMES_DAYS:
        raise InvalidInput(_("Durée de validité inconnue."), code="lifetime")
    if scope == Scope.AGENT:
        if organisation is None:
            raise InvalidInput(
                _("Choisissez l'organisation pour laquelle l'agent enregistre des appareils."),
                code="organisation",
            )
        if not organisation.is_refurbisher or not (
            actor.is_superuser or has_role(actor, organisation.pk, {Role.ADMIN})
        ):
            raise NotPermitted(
                _("Seuls les administrateurs d'un atelier créent ses jetons d'agent."),
                code="agent_token_not_permitted",
            )
    else:
        organisation = None
    clear = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=actor,
            name=name,
            scope=scope,
            organisation=organisation,
            nwipe_method=nwipe_method,
            prefix=clear[:12],
            digest=digest(clear),
            expires_at=timezone.now() + dt.timedelta(days=days),
        )
    return token, clear


def tokens_for(user) -> QuerySet[ApiToken]:
    """The user's own tokens and the agent tokens of the organisations they administer."""
    admin_of = organisations_with_role(user, {Role.ADMIN})
    return (
        ApiToken.objects.filter(Q(user=user) | Q(scope=Scope.AGENT, organisation_id__in=admin_of))
        .select_related("organisation", "user")
        .order_by("-id")
    )


def token_revoke(actor, token_id: int) -> ApiToken:
    with transaction.atomic():
        token = tokens_for(actor).select_for_update(of=("self",)).filter(pk=token_id).first()
        if token is None:
            raise NotFound(_("Ce jeton n'existe pas."))
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
    return token


class TokenRefused(Exception):
    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def token_authenticate(clear: str) -> ApiToken:
    """The active token with this clear text (its user loaded), or ``TokenRefused``."""
    token = (
        ApiToken.objects.select_related("user").filter(digest=digest(clear)).first()
        if clear.startswith(PREFIX)
        else None
    )
    if token is None:
        raise TokenRefused(_("Jeton inconnu."), "token_unknown")
    if token.revoked_at is not None:
        raise TokenRefused(_("Ce jeton a été révoqué."), "token_revoked")
    now = timezone.now()
    if token.expires_at <= now:
        raise TokenRefused(_("Ce jeton a expiré : créez-en un nouveau."), "token_expired")
    if not token.user.is_active:
        raise TokenRefused(_("Le compte de ce jeton est désactivé."), "account_inactive")
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
