"""Validators for French administrative identifiers."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# La Poste's establishments share this SIREN and use a digit-sum rule instead of Luhn.
_LA_POSTE_SIREN = "356000000"


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def validate_siret(value: str) -> None:
    """A SIRET is 14 digits with a Luhn checksum (La Poste: digit sum divisible by 5)."""
    if not value.isdigit() or len(value) != 14:
        raise ValidationError(_("Un SIRET compte exactement 14 chiffres."), code="siret_format")
    if value.startswith(_LA_POSTE_SIREN):
        if sum(int(c) for c in value) % 5 != 0:
            raise ValidationError(
                _("Ce SIRET n'est pas valide (clé de contrôle)."), code="siret_key"
            )
        return
    if not _luhn_valid(value):
        raise ValidationError(_("Ce SIRET n'est pas valide (clé de contrôle)."), code="siret_key")


def validate_phone(value: str) -> None:
    """A phone number as people type it: 6 to 15 digits, spaces, dots, dashes, + and ()."""
    digits = [char for char in value if char.isdigit()]
    allowed = set("0123456789 +.-()")
    if not 6 <= len(digits) <= 15 or any(char not in allowed for char in value):
        raise ValidationError(
            _("Numéro de téléphone invalide (chiffres, espaces, points et + seulement)."),
            code="phone_format",
        )


def validate_postcode(value: str) -> None:
    """A French postcode: five digits."""
    if not (value.isdigit() and len(value) == 5):
        raise ValidationError(
            _("Un code postal compte exactement 5 chiffres."), code="postcode_format"
        )
