import pytest
from django.core.exceptions import ValidationError

from actors.validators import validate_siren, validate_siret

SIREN_FORMAT = "Un SIREN compte exactement 9 chiffres."
SIREN_CHECKSUM = "Ce SIREN n'est pas valide (clé de contrôle)."
SIRET_FORMAT = "Un SIRET compte exactement 14 chiffres."
SIRET_CHECKSUM = "Ce SIRET n'est pas valide (clé de contrôle)."


@pytest.mark.parametrize("value", ["732829320", "552100554", "356000000"])
def test_validate_siren_accepts_valid_numbers(value):
    assert validate_siren(value) is None


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        ("732829321", "siren_checksum", SIREN_CHECKSUM),
        ("12345678", "siren_format", SIREN_FORMAT),
        ("1234567890", "siren_format", SIREN_FORMAT),
        ("73282932A", "siren_format", SIREN_FORMAT),
        ("７３２８２９３２０", "siren_format", SIREN_FORMAT),
        ("", "siren_format", SIREN_FORMAT),
    ],
)
def test_validate_siren_rejects_bad_numbers(value, code, message):
    with pytest.raises(ValidationError) as error:
        validate_siren(value)

    assert error.value.code == code
    assert error.value.messages == [message]


@pytest.mark.parametrize(
    "value",
    [
        "73282932000074",
        # La Poste: its digit sum is a multiple of 5, although its Luhn key is wrong.
        "35600000000001",
    ],
)
def test_validate_siret_accepts_valid_numbers(value):
    assert validate_siret(value) is None


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        ("73282932000075", "siret_checksum", SIRET_CHECKSUM),
        ("35600000000002", "siret_checksum", SIRET_CHECKSUM),
        # La Poste: a right Luhn key does not help, the digit sum is what counts.
        ("35600000000048", "siret_checksum", SIRET_CHECKSUM),
        ("7328293200007", "siret_format", SIRET_FORMAT),
        ("732829320000740", "siret_format", SIRET_FORMAT),
        ("7328293200007A", "siret_format", SIRET_FORMAT),
        ("732 829 320 00074", "siret_format", SIRET_FORMAT),
    ],
)
def test_validate_siret_rejects_bad_numbers(value, code, message):
    with pytest.raises(ValidationError) as error:
        validate_siret(value)

    assert error.value.code == code
    assert error.value.messages == [message]
