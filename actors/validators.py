"""Checks for French company identifiers (SIREN, SIRET): digits and Luhn checksum."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# La Poste's establishments do not follow the Luhn rule (INSEE: digit sum multiple of 5).
LA_POSTE_SIREN = "356000000"


def luhn_is_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def validate_siren(value: str) -> None:
    if not (len(value) == 9 and value.isascii() and value.isdigit()):
        raise ValidationError(_("Un SIREN compte exactement 9 chiffres."), code="siren_format")
    if not luhn_is_valid(value):
        raise ValidationError(
            _("Ce SIREN n'est pas valide (clé de contrôle)."), code="siren_checksum"
        )


def validate_siret(value: str) -> None:
    if not (len(value) == 14 and value.isascii() and value.isdigit()):
        raise ValidationError(_("Un SIRET compte exactement 14 chiffres."), code="siret_format")
    if value.startswith(LA_POSTE_SIREN):
        valid = sum(int(c) for c in value) % 5 == 0
    else:
        valid = luhn_is_valid(value)
    if not valid:
        raise ValidationError(
            _("Ce SIRET n'est pas valide (clé de contrôle)."), code="siret_checksum"
        )
