"""The only rows the reports own: what each funder funds. Every figure is read from the
other apps' selectors; nothing here duplicates a device, a loan or a household."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from acteurs.models import Organisation
from dons.models import Gisement


class Funding(models.Model):
    """A funder's support for a refurbishing organisation's whole activity or for one
    gisement: it decides which reports the funder's members may read."""

    funder = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="fundings_given",
        limit_choices_to={"is_funder": True},
        verbose_name=_("financeur"),
    )
    name = models.CharField(
        _("intitulé"),
        max_length=200,
        help_text=_("Par exemple « Appel à projets inclusion numérique 2026 »."),
    )
    refurbisher = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="fundings_received",
        limit_choices_to={"is_refurbisher": True},
        verbose_name=_("structure financée"),
        help_text=_("Toute l'activité de cette structure."),
    )
    gisement = models.ForeignKey(
        Gisement,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="fundings",
        verbose_name=_("gisement financé"),
    )
    starts_on = models.DateField(_("du"), null=True, blank=True)
    ends_on = models.DateField(_("au"), null=True, blank=True)

    class Meta:
        verbose_name = _("financement")
        verbose_name_plural = _("financements")
        ordering = ["funder__name", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(refurbisher__isnull=False) | models.Q(gisement__isnull=False),
                name="funding_has_a_scope",
                violation_error_message=_(
                    "Un financement porte sur une structure ou sur un gisement."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(starts_on__isnull=True)
                | models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="funding_ends_after_start",
                violation_error_message=_("La fin du financement précède son début."),
            ),
        ]

    def __str__(self):
        return f"{self.funder} — {self.name}"

    def clean(self):
        if self.refurbisher_id is None and self.gisement_id is None:
            raise ValidationError(_("Un financement porte sur une structure ou sur un gisement."))
