"""Folding is what search, the contact finder and the stored search names agree on: its fast
path for Latin text must give exactly what the general rule gives, character for character."""

import unicodedata

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy

from core.text import fold, normalize


def by_the_general_rule(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").lower()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Lunéville", "luneville"),
        ("Économie SOCIALE", "economie sociale"),
        ("L’Œuvre d’Ève…", "l’oeuvre d’eve..."),
        ("Ça coûte 10 €", "ca coute 10 €"),
        ("Straße", "straße"),
        ("Αθήνα", "αθηνα"),
        ("e\u0301te\u0301", "ete"),
        ("a\u034fb", "a\u034fb"),
        ("", ""),
        (None, ""),
    ],
)
def test_fold(text, expected):
    assert fold(text) == expected


def test_every_character_folds_as_the_general_rule_says():
    different = [
        code for code in range(0x110000) if fold(chr(code)) != by_the_general_rule(chr(code))
    ]
    assert different == []


def test_mixed_texts_fold_as_the_general_rule_says():
    pieces = ["é", "\u0301", "\u034f", "’", "Œ", "Æ", "ß", "α", "\u05b0", "中", "a", " ", "-"]
    texts = [a + b + c for a in pieces for b in pieces for c in pieces]
    assert [fold(text) for text in texts] == [by_the_general_rule(text) for text in texts]


def test_normalize_turns_separators_into_spaces():
    assert normalize("  Saint-Dié-des-Vosges (88) ") == "saint die des vosges 88"


def test_normalize_of_a_translated_text_follows_the_active_language():
    # normalize() remembers the texts it saw; a lazy translation is one object whose words
    # change with the language, so it must never answer from another language's entry.
    label = gettext_lazy("Collectivités")
    with translation.override("fr"):
        assert normalize(label) == "collectivites"
    with translation.override("en"):
        assert normalize(label) == "local authorities"
    with translation.override("fr"):
        assert normalize(label) == "collectivites"
