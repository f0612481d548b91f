"""Organisations, users, memberships, French territories and beneficiary households."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .validators import validate_phone, validate_siret


class Departement(models.Model):
    code = models.CharField(_("code"), max_length=3, primary_key=True)
    name = models.CharField(_("nom"), max_length=100)
    region_code = models.CharField(_("code région"), max_length=3)

    class Meta:
        verbose_name = _("département")
        verbose_name_plural = _("départements")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} – {self.name}"


class Epci(models.Model):
    siren = models.CharField(_("SIREN"), max_length=9, primary_key=True)
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(_("type"), max_length=10)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)

    class Meta:
        verbose_name = _("EPCI")
        verbose_name_plural = _("EPCI")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Commune(models.Model):
    insee_code = models.CharField(_("code INSEE"), max_length=5, primary_key=True)
    name = models.CharField(_("nom"), max_length=200, db_index=True)
    departement = models.ForeignKey(
        Departement,
        on_delete=models.PROTECT,
        related_name="communes",
        verbose_name=_("département"),
    )
    epci = models.ForeignKey(
        Epci,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="communes",
        verbose_name=_("EPCI"),
    )
    postcodes = models.CharField(_("codes postaux"), max_length=200, blank=True)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)

    class Meta:
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.departement_id})"


class User(AbstractUser):
    """A person who logs in. What they may do depends on their memberships."""

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    def __str__(self):
        return self.get_full_name() or self.username


class Organisation(models.Model):
    """Any structure taking part: association, CCAS, company, funder, département…

    One organisation can play several parts (a Département funds, prescribes and donates),
    hence one flag per kind rather than a single type.
    """

    name = models.CharField(_("nom"), max_length=200, unique=True)
    short_name = models.CharField(
        _("nom court"), max_length=30, help_text=_("Imprimé sur les étiquettes.")
    )
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, validators=[validate_siret])
    commune = models.ForeignKey(
        Commune,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
        verbose_name=_("commune"),
    )
    is_refurbisher = models.BooleanField(_("reconditionneur"), default=False)
    is_prescriber = models.BooleanField(_("prescripteur"), default=False)
    is_donor = models.BooleanField(_("donateur"), default=False)
    is_funder = models.BooleanField(_("financeur"), default=False)
    is_coordinator = models.BooleanField(_("coordination départementale"), default=False)
    # Printed on the information notice a household is given (acteurs.privacy): where to
    # write to see, correct or erase its data, and the organisation's data protection officer.
    postal_address = models.CharField(_("adresse postale"), max_length=300, blank=True)
    privacy_email = models.EmailField(
        _("courriel pour les données personnelles"),
        blank=True,
        help_text=_("Où un foyer écrit pour consulter, corriger ou effacer ses données."),
    )
    dpo_contact = models.CharField(
        _("délégué à la protection des données"),
        max_length=300,
        blank=True,
        help_text=_("Nom ou service et courriel du DPO (obligatoire pour un organisme public)."),
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["siret"],
                condition=~models.Q(siret=""),
                name="organisation_siret_unique",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def kind_labels(self) -> list[str]:
        flags = [
            ("is_refurbisher", _("reconditionneur")),
            ("is_prescriber", _("prescripteur")),
            ("is_donor", _("donateur")),
            ("is_funder", _("financeur")),
            ("is_coordinator", _("coordination")),
        ]
        return [str(label) for flag, label in flags if getattr(self, flag)]


class Role(models.TextChoices):
    ADMIN = "admin", _("administrateur")
    STAFF = "staff", _("équipe")
    TECHNICIAN = "technician", _("technicien")
    PRESCRIBER = "prescriber", _("prescripteur")
    FACILITATOR = "facilitator", _("animateur")
    FUNDER = "funder", _("financeur")


class Membership(models.Model):
    """A user's role in one organisation. A user may belong to several organisations."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("utilisateur"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("depuis le"), auto_now_add=True)

    class Meta:
        verbose_name = _("appartenance")
        verbose_name_plural = _("appartenances")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="membership_one_role_per_organisation"
            )
        ]

    def __str__(self):
        return f"{self.user} – {self.organisation} ({self.get_role_display()})"


# Public categories of a household, in display order (one boolean field each).
HOUSEHOLD_CATEGORY_FIELDS = (
    "is_senior",
    "is_young",
    "is_jobseeker",
    "is_single_parent",
    "receives_social_minimum",
)


class Household(models.Model):
    """A beneficiary household: the minimum the work needs (CNIL référentiel for the social
    sector). No date of birth, no health information, no free-text notes about the person.

    A household belongs to one organisation (the one that follows it, usually a prescriber);
    no one outside that organisation sees it, except a workshop's team, which sees the name of
    the households enrolled in its sessions. Personal fields are anonymised two years after
    ``last_contact_at`` (a scheduled command), or on request: ``acteurs.personal_data``, which
    reaches every copy the apps above declare in its registry. Once anonymised
    (``HouseholdAnonymisation``), a household is final: every service refuses it.
    """

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="households",
        verbose_name=_("organisation référente"),
    )
    name = models.CharField(
        _("nom du foyer"),
        max_length=150,
        help_text=_("Nom de la personne de référence, par exemple « Mme Martin »."),
    )
    phone = models.CharField(_("téléphone"), max_length=20, blank=True, validators=[validate_phone])
    email = models.EmailField(_("courriel"), blank=True)
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, related_name="households", verbose_name=_("commune")
    )
    size = models.PositiveSmallIntegerField(_("nombre de personnes"), default=1)
    # Public categories: a small fixed set (reports count them). No disability flag: a generic
    # "minima sociaux" avoids recording AAH, which reveals a disability.
    is_senior = models.BooleanField(_("senior"), default=False)
    is_young = models.BooleanField(_("jeune (16-25 ans)"), default=False)
    is_jobseeker = models.BooleanField(_("demandeur d'emploi"), default=False)
    is_single_parent = models.BooleanField(_("parent isolé"), default=False)
    receives_social_minimum = models.BooleanField(
        _("bénéficiaire de minima sociaux"), default=False
    )
    consent_at = models.DateTimeField(_("informé et d'accord le"))
    consent_version = models.CharField(
        _("version du texte d'information"),
        max_length=20,
        help_text=_("Le texte lu au foyer : acteurs.consent.CONSENT_WORDINGS[version]."),
    )
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("accord recueilli par"),
    )
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    last_contact_at = models.DateTimeField(_("dernier contact le"), default=timezone.now)

    class Meta:
        verbose_name = _("foyer")
        verbose_name_plural = _("foyers")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["organisation", "name"], name="household_org_name"),
            models.Index(fields=["last_contact_at"], name="household_last_contact"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(size__gte=1, size__lte=30), name="household_size_1_to_30"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def category_labels(self) -> list[str]:
        return [
            str(self._meta.get_field(name).verbose_name)
            for name in HOUSEHOLD_CATEGORY_FIELDS
            if getattr(self, name)
        ]

    @property
    def is_anonymised(self) -> bool:
        """Reads the reverse one-to-one: select_related("anonymisation") saves the query."""
        return hasattr(self, "anonymisation")


class AnonymisationReason(models.TextChoices):
    RETENTION = "retention", _("délai de conservation écoulé")
    REQUEST = "request", _("demande de la personne")


class HouseholdAnonymisation(models.Model):
    """A household whose personal data were erased: when, why, by whom (no personal data
    here). The household row stays for anonymous statistics and the accounting records.
    ``exploitation`` appends each one to a journal outside the database, replayed after a
    restore (``acteurs.personal_data.household_anonymise_again``)."""

    household = models.OneToOneField(
        Household, on_delete=models.PROTECT, related_name="anonymisation", verbose_name=_("foyer")
    )
    reason = models.CharField(_("motif"), max_length=20, choices=AnonymisationReason.choices)
    at = models.DateTimeField(_("le"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("par"),
    )

    class Meta:
        verbose_name = _("anonymisation")
        verbose_name_plural = _("anonymisations")
        ordering = ["-id"]

    def __str__(self):
        return f"{self.household_id} {self.at:%d/%m/%Y}"


class PersonalDataAccess(models.Model):
    """Someone read a household's personal data: who, when, what, from which page.

    Written by ``acteurs.access_log`` for every person — members and operators — who opens or
    exports a household's file, request or loan (one row, ``household`` set), or a list page
    showing households (one row per organisation whose households the page showed, with
    ``households_shown``; an operator's list gets one row per household). Shown to the admins
    of the household's organisation, kept ``ACCESS_LOG_RETENTION_DAYS`` (one year), then purged.
    No personal data of the household is copied here: the household is a link, the page is a
    path without its query string (a search may hold a name), and the user's name is kept as
    it was (the account may go).
    """

    class Action(models.TextChoices):
        VIEW = "view", _("consultation")
        LIST = "list", _("liste")
        EXPORT = "export", _("export")

    accessed_at = models.DateTimeField(_("le"), default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("par"),
    )
    user_label = models.CharField(_("par (nom)"), max_length=300)
    by_operator = models.BooleanField(
        _("opérateur de la plateforme"),
        default=False,
        help_text=_("Superutilisateur : une personne qui exploite la plateforme."),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="personal_data_accesses",
        verbose_name=_("organisation du foyer"),
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.SET_NULL,
        null=True,
        related_name="accesses",
        verbose_name=_("foyer"),
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    what = models.CharField(_("quoi"), max_length=200)
    page = models.CharField(_("page"), max_length=500)
    households_shown = models.PositiveIntegerField(_("foyers affichés"), default=1)

    class Meta:
        verbose_name = _("accès à des données personnelles")
        verbose_name_plural = _("accès à des données personnelles")
        ordering = ["-accessed_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "-accessed_at"], name="pd_access_org_recent"),
            models.Index(fields=["household", "-accessed_at"], name="pd_access_household"),
            models.Index(fields=["accessed_at"], name="pd_access_at"),
        ]

    def __str__(self):
        return f"{self.user_label} – {self.what} ({self.accessed_at:%d/%m/%Y %H:%M})"
