"""Gisements (a donor's source of equipment), conventions with donors, donations (one
collection from a gisement) with their own lifecycle, declared quantities, documents and an
append-only event log.

Floor 2: nothing here imports ``parc``. Devices point at their donation
(``parc.Device.donation``), never the other way round.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from acteurs.models import Commune, Organisation
from acteurs.permissions import POOL_MANAGER_ROLES, has_role
from acteurs.validators import validate_phone
from core.events import Event
from core.statemachine import StatefulModel


class DonorKind(models.TextChoices):
    COMPANY = "entreprise", _("entreprise")
    STATE = "etat", _("État, administration")
    LOCAL_AUTHORITY = "collectivite", _("collectivité territoriale")
    PUBLIC_BODY = "etablissement_public", _("établissement public")
    ASSOCIATION = "association", _("association")
    INDIVIDUAL = "particulier", _("particulier")


# Equipment given free by these donors falls under the solidarity price caps (decree of
# 7 November 2022) when it is sold on.
PUBLIC_DONOR_KINDS = frozenset({DonorKind.STATE, DonorKind.LOCAL_AUTHORITY, DonorKind.PUBLIC_BODY})


class Frequency(models.TextChoices):
    ONE_OFF = "ponctuel", _("ponctuel")
    RECURRING = "recurrent", _("récurrent")


class DeviceKind(models.TextChoices):
    """Kinds of equipment, defined once for the whole chain: the donor declares quantities by
    kind (``DonationLine``) and ``parc`` records each device's kind with the same choices
    (``parc.models.DeviceKind`` is this class). Here because ``dons`` is the lowest floor
    that needs it."""

    LAPTOP = "laptop", _("ordinateur portable")
    DESKTOP = "desktop", _("ordinateur fixe")
    SCREEN = "screen", _("écran")
    TABLET = "tablet", _("tablette")
    SMARTPHONE = "smartphone", _("smartphone")
    PRINTER = "printer", _("imprimante")
    OTHER = "other", _("autre")


class Gisement(models.Model):
    """A donor's source of equipment for one refurbishing organisation."""

    donor = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="gisements_given",
        verbose_name=_("donateur"),
    )
    refurbisher = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="gisements",
        verbose_name=_("structure de reconditionnement"),
    )
    donor_kind = models.CharField(_("type de donateur"), max_length=30, choices=DonorKind.choices)
    name = models.CharField(
        _("nom du gisement"),
        max_length=200,
        help_text=_("Par exemple « Renouvellement du parc 2025 » ou « Agence de Chartres »."),
    )
    address = models.TextField(_("adresse"), blank=True)
    commune = models.ForeignKey(
        Commune,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="gisements",
        verbose_name=_("commune"),
    )
    contact_name = models.CharField(_("contact"), max_length=150, blank=True)
    contact_email = models.EmailField(_("courriel du contact"), blank=True)
    contact_phone = models.CharField(
        _("téléphone du contact"), max_length=20, blank=True, validators=[validate_phone]
    )
    frequency = models.CharField(
        _("fréquence"), max_length=10, choices=Frequency.choices, default=Frequency.ONE_OFF
    )
    expected_volume_per_year = models.PositiveIntegerField(
        _("volume attendu par an (appareils)"), null=True, blank=True
    )
    notes = models.TextField(_("remarques"), blank=True)
    created_at = models.DateTimeField(_("référencé le"), default=timezone.now)

    class Meta:
        verbose_name = _("gisement")
        verbose_name_plural = _("gisements")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["refurbisher", "-id"], name="gisement_refurbisher_id"),
            models.Index(
                fields=["refurbisher", "donor_kind", "-id"], name="gisement_refurb_kind_id"
            ),
            models.Index(fields=["donor", "-id"], name="gisement_donor_id"),
            models.Index(fields=["created_at"], name="gisement_created_at"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_public_donor(self) -> bool:
        """État, collectivité or établissement public: solidarity price caps apply."""
        return self.donor_kind in PUBLIC_DONOR_KINDS


class ConventionStatus(models.TextChoices):
    DRAFT = "draft", _("en projet")
    SIGNED = "signed", _("signée")
    EXPIRED = "expired", _("expirée")
    TERMINATED = "terminated", _("résiliée")


class Convention(models.Model):
    """The agreement with the donor for one gisement."""

    gisement = models.ForeignKey(
        Gisement,
        on_delete=models.PROTECT,
        related_name="conventions",
        verbose_name=_("gisement"),
    )
    status = models.CharField(
        _("statut"),
        max_length=12,
        choices=ConventionStatus.choices,
        default=ConventionStatus.DRAFT,
    )
    signed_on = models.DateField(_("signée le"), null=True, blank=True)
    expires_on = models.DateField(_("expire le"), null=True, blank=True)
    document = models.FileField(_("convention signée"), upload_to="conventions/%Y/", blank=True)
    notes = models.TextField(_("remarques"), blank=True)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)

    class Meta:
        verbose_name = _("convention")
        verbose_name_plural = _("conventions")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["gisement", "-id"], name="convention_gisement_id"),
            models.Index(fields=["status", "signed_on"], name="convention_status_signed"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="signed") | Q(signed_on__isnull=False),
                name="convention_signed_has_date",
                violation_error_message=_("Une convention signée a une date de signature."),
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True)
                | Q(signed_on__isnull=True)
                | Q(expires_on__gte=models.F("signed_on")),
                name="convention_expires_after_signature",
                violation_error_message=_("L'échéance doit suivre la date de signature."),
            ),
        ]

    def __str__(self):
        return f"{self.get_status_display()} ({self.signed_on or '—'})"


class DonationState(models.TextChoices):
    ANNOUNCED = "announced", _("Annoncé")
    COLLECTED = "collected", _("Collecté")
    RECEIVED = "received", _("Réceptionné")
    SORTED = "sorted", _("Trié (clos)")
    CANCELLED = "cancelled", _("Annulé")


DONATION_FINAL_STATES = frozenset({DonationState.SORTED, DonationState.CANCELLED})
# A device is registered (by hand or from the donor's list) for a donation until its sorting
# is closed: announced, collected or received. Never a sorted or a cancelled one.
STATES_ACCEPTING_DEVICES = (
    DonationState.ANNOUNCED,
    DonationState.COLLECTED,
    DonationState.RECEIVED,
)


def can_manage_donation(donation, user) -> bool:
    """Staff and admins of the refurbishing organisation the gisement supplies."""
    return user.is_superuser or has_role(user, donation.gisement.refurbisher_id, POOL_MANAGER_ROLES)


class Donation(StatefulModel):
    """One collection from a gisement."""

    EVENT_MODEL = "dons.DonationEvent"
    EVENT_SUBJECT = "donation"

    gisement = models.ForeignKey(
        Gisement, on_delete=models.PROTECT, related_name="donations", verbose_name=_("gisement")
    )
    state = FSMField(
        _("état"), default=DonationState.ANNOUNCED, choices=DonationState.choices, protected=True
    )
    pickup_date = models.DateField(_("date d'enlèvement"), null=True, blank=True)
    pickup_address = models.TextField(_("adresse d'enlèvement"), blank=True)
    received_on = models.DateField(_("réceptionné le"), null=True, blank=True)
    # What collecting it cost (pickup, transport): the economics of the chain (issue 15).
    logistics_cost = models.DecimalField(
        _("coût logistique (€)"),
        max_digits=9,
        decimal_places=2,
        default=Decimal("0"),
        db_default=Decimal("0"),
        help_text=_("Enlèvement et transport."),
    )
    received_weight_kg = models.DecimalField(
        _("poids reçu (kg)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    donor_reference = models.CharField(_("référence du donateur"), max_length=100, blank=True)
    stated_value = models.DecimalField(
        _("valeur déclarée par le donateur (€)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("La valeur que le donateur indique ; l'association ne la calcule pas."),
    )
    notes = models.TextField(_("remarques"), blank=True)
    # Part of the donor's signed link: changing it revokes the links already sent.
    share_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enregistré par"),
    )
    created_at = models.DateTimeField(_("enregistré le"), default=timezone.now)

    class Meta:
        verbose_name = _("don")
        verbose_name_plural = _("dons")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["gisement", "-id"], name="donation_gisement_id"),
            models.Index(fields=["state", "-id"], name="donation_state_id"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(received_weight_kg__isnull=True) | Q(received_weight_kg__gte=0),
                name="donation_weight_not_negative",
                violation_error_message=_("Le poids ne peut pas être négatif."),
            ),
            models.CheckConstraint(
                condition=Q(stated_value__isnull=True) | Q(stated_value__gte=0),
                name="donation_value_not_negative",
                violation_error_message=_("La valeur déclarée ne peut pas être négative."),
            ),
        ]

    def __str__(self):
        return _("Don n° %(id)s") % {"id": self.pk or "—"}

    @property
    def is_final(self) -> bool:
        return self.state in DONATION_FINAL_STATES

    @property
    def accepts_devices(self) -> bool:
        """Devices may still be registered for it (``STATES_ACCEPTING_DEVICES``)."""
        return self.state in STATES_ACCEPTING_DEVICES

    # --- the lifecycle

    @transition(
        field=state,
        source=DonationState.ANNOUNCED,
        target=DonationState.COLLECTED,
        permission=can_manage_donation,
        custom={"label": _("Marquer comme collecté")},
    )
    def collect(self, pickup_date=None):
        if pickup_date:
            self.pickup_date = pickup_date

    @transition(
        field=state,
        # A donor may also bring the equipment to the workshop: no collection then.
        source=[DonationState.ANNOUNCED, DonationState.COLLECTED],
        target=DonationState.RECEIVED,
        permission=can_manage_donation,
        custom={"label": _("Réceptionner")},
    )
    def receive(self, received_on, weight_kg=None):
        self.received_on = received_on
        if weight_kg is not None:
            self.received_weight_kg = weight_kg

    @transition(
        field=state,
        source=DonationState.RECEIVED,
        target=DonationState.SORTED,
        permission=can_manage_donation,
        custom={"label": _("Clore le tri")},
    )
    def close(self):
        pass

    @transition(
        field=state,
        source=[DonationState.ANNOUNCED, DonationState.COLLECTED],
        target=DonationState.CANCELLED,
        permission=can_manage_donation,
        custom={"label": _("Annuler le don")},
    )
    def cancel(self):
        pass


class DonationLine(models.Model):
    """A quantity declared by the donor for one kind of equipment."""

    donation = models.ForeignKey(
        Donation, on_delete=models.CASCADE, related_name="lines", verbose_name=_("don")
    )
    kind = models.CharField(_("type"), max_length=20, choices=DeviceKind.choices)
    quantity = models.PositiveIntegerField(_("quantité déclarée"))

    class Meta:
        verbose_name = _("quantité déclarée")
        verbose_name_plural = _("quantités déclarées")
        ordering = ["donation", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["donation", "kind"],
                name="donationline_one_per_kind",
                violation_error_message=_("Une seule ligne par type d'équipement."),
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} × {self.quantity}"


class DocumentKind(models.TextChoices):
    DONOR_LIST = "donor_list", _("liste du donateur")
    COLLECTION_SLIP = "collection_slip", _("bon d'enlèvement")
    OTHER = "other", _("autre document")


class DonationDocument(models.Model):
    donation = models.ForeignKey(
        Donation, on_delete=models.PROTECT, related_name="documents", verbose_name=_("don")
    )
    kind = models.CharField(_("type de document"), max_length=20, choices=DocumentKind.choices)
    file = models.FileField(_("fichier"), upload_to="donations/%Y/%m/")
    title = models.CharField(_("titre"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ajouté par"),
    )
    uploaded_at = models.DateTimeField(_("ajouté le"), default=timezone.now)

    class Meta:
        verbose_name = _("document du don")
        verbose_name_plural = _("documents du don")
        ordering = ["-id"]
        indexes = [models.Index(fields=["donation", "-id"], name="donationdoc_donation_id")]

    def __str__(self):
        return self.title or self.get_kind_display()


class DonationEvent(Event):
    """Append-only history of a donation (core.events): written by dons/events.py only."""

    class Action(models.TextChoices):
        ANNOUNCE = "announce", _("Don annoncé")
        COLLECT = "collect", _("Collecté")
        RECEIVE = "receive", _("Réceptionné")
        CLOSE = "close", _("Tri clos")
        CANCEL = "cancel", _("Don annulé")
        EDIT = "edit", _("Don modifié")
        DOCUMENT = "document", _("Document joint")
        SHARE_LINK = "share_link", _("Lien de suivi créé pour le donateur")
        REVOKE_LINKS = "revoke_links", _("Liens de suivi désactivés")

    STATES = DonationState

    donation = models.ForeignKey(
        Donation, on_delete=models.PROTECT, related_name="events", verbose_name=_("don")
    )

    class Meta(Event.Meta):
        verbose_name = _("événement du don")
        verbose_name_plural = _("historique des dons")
        indexes = [models.Index(fields=["donation", "-id"], name="donationevent_donation_id")]

    def __str__(self):
        return f"{self.donation_id} {self.action} {self.at:%d/%m/%Y %H:%M}"
