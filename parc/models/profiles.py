"""Usage profiles and adaptations: what a ready device is set up for.

A usage profile (« simplifié », « essentiel », « complet ») is chosen by the technician from
a short list the coordination maintains; its ``level`` (1 to 3) is the PIX autonomy level it
suits, so the loan scheme can compare it with a household's assessment. Adaptations are the
software and hardware fitted (screen reader, large-key keyboard, webcam…): a fixed
vocabulary stored as a bit mask on the device (``Device.adaptations``), so a request's needs
are matched with one AND in SQL. Never health data: what the device does, not why someone
needs it.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class UsageProfile(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    label = models.CharField(_("nom"), max_length=60)
    description = models.CharField(_("ce qui est installé et réglé"), max_length=300)
    level = models.PositiveSmallIntegerField(
        _("niveau d'autonomie visé"),
        validators=[MinValueValidator(1), MaxValueValidator(3)],
        help_text=_("1 : avec aide, 2 : sans aide, 3 : en autonomie (niveaux PIX)."),
    )
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    is_active = models.BooleanField(_("proposé"), default=True)

    class Meta:
        verbose_name = _("profil d'usage")
        verbose_name_plural = _("profils d'usage")
        ordering = ["position", "level", "label"]

    def __str__(self):
        return self.label


class Adaptation(models.IntegerChoices):
    """Each value is one bit of ``Device.adaptations``: never renumber."""

    NVDA = 1, _("lecteur d'écran NVDA (Windows)")
    ORCA = 2, _("lecteur d'écran Orca (Linux)")
    WINDOWS_A11Y = 4, _("réglages d'accessibilité Windows")
    GNOME_A11Y = 8, _("réglages d'accessibilité GNOME")
    VOICE_CONTROL = 16, _("commande vocale")
    LARGE_KEYS = 32, _("clavier à grosses touches")
    LARGE_SCREEN = 64, _("grand écran (17 pouces ou plus)")
    HEADSET = 128, _("casque avec micro")
    WEBCAM = 256, _("webcam")
    OFFICE_SUITE = 512, _("suite bureautique")
    MOBILE_DATA = 1024, _("données mobiles (carte SIM ou clé 4G)")


ADAPTATION_KINDS = {
    "software": (
        Adaptation.NVDA,
        Adaptation.ORCA,
        Adaptation.WINDOWS_A11Y,
        Adaptation.GNOME_A11Y,
        Adaptation.VOICE_CONTROL,
        Adaptation.OFFICE_SUITE,
    ),
    "hardware": (
        Adaptation.LARGE_KEYS,
        Adaptation.LARGE_SCREEN,
        Adaptation.HEADSET,
        Adaptation.WEBCAM,
        Adaptation.MOBILE_DATA,
    ),
}


def adaptation_mask(values) -> int:
    mask = 0
    for value in values:
        mask |= int(value)
    return mask


def adaptation_labels(mask: int) -> list[str]:
    return [str(label) for value, label in Adaptation.choices if mask & value]


DEFAULT_PROFILES = (
    ("simplifie", "Simplifié", "Interface verrouillée à grandes icônes, quelques applications", 1),
    ("essentiel", "Essentiel", "Navigateur, messagerie, visio et démarches en ligne", 2),
    (
        "complet",
        "Complet",
        "Logiciels installés (bureautique…) et réglages d'accessibilité appliqués",
        3,
    ),
)


def ensure_usage_profiles() -> None:
    """The three profiles migration 0018 seeds (again after a test database flush)."""
    for position, (code, label, description, level) in enumerate(DEFAULT_PROFILES, start=1):
        UsageProfile.objects.get_or_create(
            code=code,
            defaults={
                "label": label,
                "description": description,
                "level": level,
                "position": position,
            },
        )
