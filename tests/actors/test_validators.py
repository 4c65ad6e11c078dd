import pytest
from django.core.exceptions import ValidationError

from actors.validators import validate_siren, validate_siret


@pytest.mark.parametrize("value", ["732829320", "552100554", "356000000"])
def test_validate_siren_accepts_valid_numbers(value):
    validate_siren(value)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("732829321", "siren_checksum"),
        ("12345678", "siren_format"),
        ("1234567890", "siren_format"),
        ("73282932A", "siren_format"),
        ("７３２８２９３２０", "siren_format"),
    ],
)
def test_validate_siren_rejects_bad_numbers(value, code):
    with pytest.raises(ValidationError) as error:
        validate_siren(value)
    assert error.value.code == code


@pytest.mark.parametrize("value", ["73282932000074", "35600000000001"])
def test_validate_siret_accepts_valid_numbers(value):
    validate_siret(value)


def test_validate_siret_rejects_a_wrong_checksum():
    with pytest.raises(ValidationError) as error:
        validate_siret("73282932000075")
    assert error.value.code == "siret_checksum"
