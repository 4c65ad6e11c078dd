"""The page in each language: the switcher, hreflang alternates, French content marked;
and French that reads right: plurals ("0 événement"), prepositions and articles before the
names of territories and collectivités ("en Meurthe-et-Moselle", "du Département")."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.urls import translate_url
from django.utils import translation
from django.utils.dateformat import time_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from core.text import fold


@dataclass(frozen=True)
class Alternate:
    code: str
    name: str
    url: str
    absolute_url: str
    current: bool


def page_languages(request) -> list[Alternate]:
    """The current page in every language, or [] when the page has no translation.

    The admin, the API, feeds and error pages for unknown addresses are in French only: an
    address that resolves to the same path in every language is not a bilingual page. None
    either on a page rendered without a request (the server error page), nor on the 400
    page answering a Host that is not ours (core.hosts): no address is built from it.
    """
    if not request:
        return []
    try:
        request.get_host()
    except DisallowedHost:
        return []
    current = translation.get_language()
    path = request.get_full_path()
    urls = {code: translate_url(path, code) for code, _ in settings.LANGUAGES}
    if len(set(urls.values())) < len(urls):
        return []
    return [
        Alternate(
            code=code,
            name=name,
            url=urls[code],
            absolute_url=request.build_absolute_uri(urls[code]),
            current=code == current,
        )
        for code, name in settings.LANGUAGES
    ]


def source_lang(language: str | None = None) -> str:
    """` lang="fr"` on an element showing French content from the sources, in another
    language's page (names, descriptions, themes stay as the sources wrote them); the page's
    `language` when known, else the active one."""
    if (language or translation.get_language()) == settings.LANGUAGE_CODE:
        return ""
    return mark_safe(f' lang="{settings.LANGUAGE_CODE}"')


# How a time of day is written, per language (Django's TIME_FORMAT says "14:30" in French).
_CLOCK_FORMATS = {"fr": "H\\hi"}


def clock(value, language: str | None = None) -> str:
    """A time of day as `language` (by default the current one) writes it: 14h30 in
    French, 14:30 in English."""
    if value in (None, ""):
        return ""
    language = language or translation.get_language()
    return time_format(value, _CLOCK_FORMATS.get(language, "H:i"))


def french(content: str, language: str | None = None) -> str:
    """`{% filter french %}…{% endfilter %}`: French text from the sources inside a sentence
    of the interface; wrapped in `<span lang="fr">` on the pages of another language
    (`language`, the page's when known, else the active one), unchanged on French pages."""
    if (language or translation.get_language()) == settings.LANGUAGE_CODE or not content:
        return content
    return format_html('<span lang="{}">{}</span>', settings.LANGUAGE_CODE, content)


def plural_number(count) -> int:
    """The number that picks the plural form of a count (an int or a bounded tally) in
    `{% trans %}…{% pluralize %}`: French writes 0 in the singular ("0 établissement
    ouvert"), which gettext's default rule for untranslated French does not."""
    value = int(getattr(count, "value", count))
    if value == 0 and translation.get_language() == "fr":
        return 1
    return value


# --- French grammar -------------------------------------------------------------------------


def _french_plural(count) -> int:
    # The count that picks a French plural form: 0 and 1 are singular ("0 événement").
    return 1 if count == 0 else count


def _is_french() -> bool:
    return translation.get_language() == settings.LANGUAGE_CODE


def ngettext(singular: str, plural: str, count) -> str:
    """Django's ngettext, with French's rule for the French pages: "0 événement" (the
    untranslated French messages would get gettext's "0 événements")."""
    return translation.ngettext(singular, plural, _french_plural(count) if _is_french() else count)


def npgettext(context: str, singular: str, plural: str, count) -> str:
    """Django's npgettext, with French's rule for the French pages (see `ngettext`)."""
    return translation.npgettext(
        context, singular, plural, _french_plural(count) if _is_french() else count
    )


class Translations:
    """What the templates' `{% trans %}` and `_()` call (Jinja2's
    install_gettext_translations): Django's, plurals following French's rule."""

    gettext = staticmethod(translation.gettext)
    pgettext = staticmethod(translation.pgettext)
    ngettext = staticmethod(ngettext)
    npgettext = staticmethod(npgettext)


# Where each département is, as French says it: "en" before feminine names and names with
# a vowel, "dans le/la/les" otherwise, with the usage's exceptions ("dans l'Ain", "dans la
# Marne", "en Mayenne", "à Paris", "à La Réunion"). Keyed by code (names: INSEE's, in
# ../shared/data/decoupage-administratif/departements.json).
DEPARTEMENTS_IN = {
    "01": "dans l'", "02": "dans l'", "03": "dans l'", "04": "dans les ", "05": "dans les ",
    "06": "dans les ", "07": "en ", "08": "dans les ", "09": "en ", "10": "dans l'",
    "11": "dans l'", "12": "en ", "13": "dans les ", "14": "dans le ", "15": "dans le ",
    "16": "en ", "17": "en ", "18": "dans le ", "19": "en ", "21": "en ",
    "22": "dans les ", "23": "en ", "24": "en ", "25": "dans le ", "26": "dans la ",
    "27": "dans l'", "28": "en ", "29": "dans le ", "2A": "en ", "2B": "en ",
    "30": "dans le ", "31": "en ", "32": "dans le ", "33": "en ", "34": "dans l'",
    "35": "en ", "36": "dans l'", "37": "en ", "38": "en ", "39": "dans le ",
    "40": "dans les ", "41": "en ", "42": "dans la ", "43": "en ", "44": "en ",
    "45": "dans le ", "46": "dans le ", "47": "en ", "48": "en ", "49": "en ",
    "50": "dans la ", "51": "dans la ", "52": "en ", "53": "en ", "54": "en ",
    "55": "dans la ", "56": "dans le ", "57": "en ", "58": "dans la ", "59": "dans le ",
    "60": "dans l'", "61": "dans l'", "62": "dans le ", "63": "dans le ", "64": "dans les ",
    "65": "dans les ", "66": "dans les ", "67": "dans le ", "68": "dans le ", "69": "dans le ",
    "70": "en ", "71": "en ", "72": "dans la ", "73": "en ", "74": "en ",
    "75": "à ", "76": "en ", "77": "en ", "78": "dans les ", "79": "dans les ",
    "80": "dans la ", "81": "dans le ", "82": "en ", "83": "dans le ", "84": "dans le ",
    "85": "en ", "86": "dans la ", "87": "en ", "88": "dans les ", "89": "dans l'",
    "90": "dans le ", "91": "en ", "92": "dans les ", "93": "en ", "94": "dans le ",
    "95": "dans le ", "971": "en ", "972": "en ", "973": "en ", "974": "à ",
    "975": "à ", "976": "à ", "977": "à ", "978": "à ", "984": "dans les ",
    "986": "à ", "987": "en ", "988": "en ", "989": "sur l'",
}  # fmt: skip

# The régions (and collectivités d'outre-mer), by code: "en" but for the plural names and
# the islands said with "à".
REGIONS_IN = {
    "01": "en ", "02": "en ", "03": "en ", "04": "à ", "06": "à ", "11": "en ", "24": "en ",
    "27": "en ", "28": "en ", "32": "dans les ", "44": "en ", "52": "dans les ", "53": "en ",
    "75": "en ", "76": "en ", "84": "en ", "93": "en ", "94": "en ", "975": "à ", "977": "à ",
    "978": "à ", "984": "dans les ", "986": "à ", "987": "en ", "988": "en ", "989": "sur l'",
}  # fmt: skip

# The article of a name by its first word (intercommunalities, groupings, collectivités):
# "la Métropole du Grand Nancy", "le Pays Terres de Lorraine", "la CC du Toulois".
_HEADS = {
    "agglomeration": "l'",
    "ca": "la",
    "cc": "la",
    "commune": "la",
    "communaute": "la",
    "conseil": "le",
    "cu": "la",
    "departement": "le",
    "eurometropole": "l'",
    "mairie": "la",
    "metropole": "la",
    "pays": "le",
    "petr": "le",
    "pole": "le",
    "region": "la",
    "syndicat": "le",
    "territoire": "le",
    "ville": "la",
}
_VOWELS = "aeiouyhàâäéèêëîïôöùûüœ"
# "de" and "à" before each article.
_OF = {"le": "du ", "la": "de la ", "l'": "de l'", "les": "des "}
_TO = {"le": "au ", "la": "à la ", "l'": "à l'", "les": "aux "}


def _elided(word: str, name: str) -> str:
    """`word` + `name`, elided before a vowel or a mute h ("de" + "Est" → "d'Est")."""
    if name[:1].lower() in _VOWELS:
        return f"{word[:-1]}'{name}"
    return f"{word} {name}"


def _article(name: str) -> tuple[str | None, str]:
    """(article, the rest of the name): the name's own article ("Le Havre" → "le",
    "Havre"), else the one its first word takes ("Département de la Moselle" → "le", the
    whole name); (None, name) when neither says."""
    for own in ("Le ", "La ", "Les ", "L'", "L’"):
        if name.startswith(own):
            return own.strip().lower().replace("’", "'"), name[len(own) :]
    words = name.split()
    return (_HEADS.get(fold(words[0]).strip("\"'«» ")) if words else None), name


def _with_article(article: str, rest: str) -> str:
    return f"{article}{rest}" if article == "l'" else f"{article} {rest}"


def of(name: str) -> str:
    """`name` after "de", as French contracts it: "du Département de Meurthe-et-Moselle",
    "de la Ville de Metz", "de l'Eurométropole de Strasbourg", "du Havre", "d'Est
    Ensemble"; "of …" in English."""
    if not _is_french():
        return translation.pgettext("belonging to", "de %(name)s") % {"name": name}
    article, rest = _article(name)
    if article is None:
        return _elided("de", name)
    return _OF[article] + rest


def to(name: str) -> str:
    """`name` after "à", as French contracts it: "au Département de Meurthe-et-Moselle",
    "à la Communauté d'agglomération de Haguenau", "à l'Eurométropole de Strasbourg", "à
    Grand Reims"; "to …" in English."""
    if not _is_french():
        return translation.pgettext("addressed to", "à %(name)s") % {"name": name}
    article, rest = _article(name)
    if article is None:
        return f"à {name}"
    return _TO[article] + rest


def territory_in(territory) -> str:
    """Where `territory` is, as the current language says it: "en Meurthe-et-Moselle",
    "dans le Bas-Rhin", "dans les Hauts-de-Seine", "à Metz", "au Havre", "en Grand Est",
    "dans la Métropole du Grand Nancy", "dans le Pays Terres de Lorraine"; in English
    "in Meurthe-et-Moselle".

    Départements and régions from a table (the usage has too many exceptions for a rule);
    communes with "à" (contracted with their article: "au Havre", "aux Mureaux");
    intercommunalities and groupings after the first word of their name ("la Métropole",
    "le Pays", "la CC"), and "sur le territoire de" a name without one ("Est Ensemble").
    """
    name = territory.name
    if not _is_french():
        return translation.pgettext("where a territory is", "à %(name)s") % {"name": name}
    kind = territory.kind
    if kind == "commune":
        for article, contracted in (("Le ", "au "), ("Les ", "aux ")):
            if name.startswith(article):
                return contracted + name[len(article) :]
        return f"à {name}"
    if kind == "departement":
        return (DEPARTEMENTS_IN.get(territory.code) or _by_gender(name)) + name
    if kind == "region":
        return (REGIONS_IN.get(territory.code) or _by_gender(name)) + name
    article, rest = _article(name)
    if article is None:
        return "sur le territoire " + _elided("de", name)
    return "dans " + _with_article(article, rest)


def _by_gender(name: str) -> str:
    # A name missing from the tables: plural, feminine or starting with a vowel ("en"),
    # masculine.
    first = name.split("-")[0]
    if first.endswith("s") and name[:1].lower() not in _VOWELS:
        return "dans les "
    if name.endswith("e") or name[:1].lower() in _VOWELS:
        return "en "
    return "dans le "
