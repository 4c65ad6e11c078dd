"""Choice labels come from a table per field and language, translated."""

import pytest
from django.utils import translation

from tests.factories import SchemeFactory

pytestmark = pytest.mark.django_db


def test_choice_label_follows_the_language():
    scheme = SchemeFactory(kind="appel_a_projets")

    with translation.override("fr"):
        french = scheme.get_kind_display()
    with translation.override("en"):
        english = scheme.get_kind_display()

    assert (french, english) == ("Appel à projets", "Call for projects")


def test_choice_label_of_an_unknown_value_is_the_value():
    scheme = SchemeFactory.build(kind="inconnu")

    assert scheme.get_kind_display() == "inconnu"
