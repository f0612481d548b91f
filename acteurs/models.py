"""Organisations, users, memberships and French territories."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from .validators import validate_siret


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
