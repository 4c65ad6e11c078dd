"""Text folding shared by search and the contact finder, and amounts as people read them."""

import functools
import re
import unicodedata

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.translation import get_language

_SEPARATORS = re.compile(r"[\s\-'’‘`´_.,;:/()]+")


# Accents as NFKD decomposes Latin letters, and what else French text holds (Latin letters,
# modifiers, general punctuation such as "’" and "…", currency signs): nothing there but
# U+0300 to U+036F combines (U+034F, the grapheme joiner, does not, and is kept), so a text
# made only of them loses its accents in one regular-expression pass. A search page folds
# thousands of sentences to mark the words found: testing each character in Python was a
# third of its time.
_LATIN_ACCENTS = re.compile("[\u0300-\u034e\u0350-\u036f]+")
_NOT_LATIN = re.compile("[^\x00-\u036f\u2000-\u206f\u20a0-\u20cf]")


def fold(text: str) -> str:
    """Lower-case `text` and strip its accents ("Lunéville" -> "luneville"); keeps punctuation."""
    text = text or ""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    if _NOT_LATIN.search(decomposed) is None:
        stripped = _LATIN_ACCENTS.sub("", decomposed)
    else:
        # Other scripts and marks: every combining character, tested one by one.
        stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").lower()


def normalize(text: str) -> str:
    """Fold `text` and turn separators into single spaces ("Saint-Dié" -> "saint die")."""
    if type(text) is str:
        return _normalized(text)
    # Lazy text (a translation) is read in the active language, and not remembered: its
    # words change with the language.
    return normalize_folded(fold(str(text or "")))


@functools.lru_cache(maxsize=4096)
def _normalized(text: str) -> str:
    # A search page compares each result's title with its carriers, territory and excerpt
    # (normalize() of the same title five times a result); names repeat across pages.
    return normalize_folded(fold(text))


def normalize_folded(folded: str) -> str:
    """normalize() of a text already folded (fold()): a caller holding both folds once."""
    return _SEPARATORS.sub(" ", folded).strip()


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
