"""API tokens and webhooks.

A token is shown in clear once, when it is created; only its SHA-256 digest is stored (a
token is 32 random bytes: a fast digest is enough, there is nothing to guess). Tokens are
named, expire, and carry one scope. An agent token also names the one organisation whose
devices it may register and document.

A webhook is an organisation's HTTPS address and the events it wants; each delivery is kept
with the receiver's answer, for the organisation's admins to read.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from acteurs.models import Organisation


class Scope(models.TextChoices):
    READ = "read", _("lecture seule")
    POOL = "pool", _("parc : appareils, dons et réparations")
    REQUESTS = "requests", _("demandes (foyers et demandes d'équipement)")
    AGENT = "agent", _("agent d'enregistrement (un atelier)")


class NwipeMethod(models.TextChoices):
    ZERO = "zero", _("une passe de zéros (NIST Clear)")
    RANDOM = "random", _("une passe aléatoire (PRNG)")
    DODSHORT = "dodshort", _("DoD 5220.22-M court (3 passes)")
    DOD = "dod522022m", _("DoD 5220.22-M (7 passes)")
    GUTMANN = "gutmann", _("Gutmann (35 passes)")


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("utilisateur"),
    )
    name = models.CharField(_("nom"), max_length=80)
    scope = models.CharField(_("portée"), max_length=10, choices=Scope.choices)
    # Agent tokens act for this organisation only.
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    # The erasure method the agent runs with --erase (agent tokens: the organisation's choice).
    nwipe_method = models.CharField(
        _("méthode d'effacement de l'agent"),
        max_length=12,
        choices=NwipeMethod.choices,
        default=NwipeMethod.ZERO,
    )
    # The first characters of the token, to recognise it in a list (not enough to use it).
    prefix = models.CharField(_("début du jeton"), max_length=16)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    expires_at = models.DateTimeField(_("expire le"))
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("dernier usage"), null=True, blank=True)

    class Meta:
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(scope="agent") | models.Q(organisation__isnull=False),
                name="agent_token_has_organisation",
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class WebhookEvent(models.TextChoices):
    REQUEST_STATE = "request.state_changed", _("une demande change d'état")
    LOAN_DUE = "loan.due", _("un prêt arrive à échéance ou la dépasse")
    DEVICE_READY = "device.ready", _("un appareil est déclaré disponible")


class Webhook(models.Model):
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("organisation"),
    )
    url = models.URLField(_("adresse"), max_length=500)
    events = models.JSONField(_("événements"), default=list)
    # Shared with the receiver to check the signature; shown to the organisation's admins.
    secret = models.CharField(_("secret de signature"), max_length=64, editable=False)
    is_active = models.BooleanField(_("actif"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("créé par"),
    )
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["-id"]

    def __str__(self):
        return self.url

    @property
    def event_labels(self) -> list[str]:
        labels = dict(WebhookEvent.choices)
        return [str(labels.get(event, event)) for event in self.events]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("en attente")
    DELIVERED = "delivered", _("reçu")
    RETRYING = "retrying", _("nouvel essai prévu")
    FAILED = "failed", _("abandonné")


class WebhookDelivery(models.Model):
    webhook = models.ForeignKey(
        Webhook, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("webhook")
    )
    event = models.CharField(_("événement"), max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField(_("contenu"))
    status = models.CharField(
        _("état"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("essais"), default=0)
    response_status = models.PositiveSmallIntegerField(_("réponse HTTP"), null=True, blank=True)
    response_body = models.CharField(_("début de la réponse"), max_length=500, blank=True)
    error = models.CharField(_("erreur"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("dernier essai"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("prochain essai"), null=True, blank=True)

    class Meta:
        verbose_name = _("envoi de webhook")
        verbose_name_plural = _("envois de webhooks")
        ordering = ["-id"]
        indexes = [models.Index(fields=["webhook", "-id"], name="delivery_webhook_id")]

    def __str__(self):
        return f"{self.event} → {self.webhook_id} ({self.status})"


class WebhookCursor(models.Model):
    """How far a periodic scan went in a table it reads (e.g. the loan reminders sent)."""

    name = models.CharField(max_length=40, unique=True)
    last_id = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("curseur de webhooks")
        verbose_name_plural = _("curseurs de webhooks")

    def __str__(self):
        return f"{self.name} @ {self.last_id}"
