"""Text folding shared by search and the contact finder, and amounts as people read them."""

import re
import unicodedata

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.translation import get_language

_SEPARATORS = re.compile(r"[\s\-'’‘`´_.,;:/()]+")


def fold(text: str) -> str:
    """Lower-case `text` and strip its accents ("Lunéville" -> "luneville"); keeps punctuation."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").lower()


def normalize(text: str) -> str:
    """Fold `text` and turn separators into single spaces ("Saint-Dié" -> "saint die")."""
    return _SEPARATORS.sub(" ", fold(text)).strip()


def collation_key(text: str) -> tuple[str, str, str]:
    """Sort key putting `text` where a French dictionary does: accents, case and
    punctuation count only between otherwise equal words ("Économie" between "Culture" and
    "Finance", not after "Vie", as code points sort it)."""
    return (normalize(text), fold(text), text or "")


def euros(value) -> str:
    """28000 → "28 000 €" in French (non-breaking spaces), "€28,000" in English."""
    if value is None or value == "":
        return ""
    if get_language() == "en":
        return f"€{intcomma(value)}"
    return f"{intcomma(value)}\u00a0€"
