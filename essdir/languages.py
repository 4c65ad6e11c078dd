"""The page in each language: the switcher, hreflang alternates, French content marked."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.urls import translate_url
from django.utils import translation
from django.utils.dateformat import time_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe


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


def source_lang() -> str:
    """` lang="fr"` on an element showing French content from the sources, in another
    language's page (names, descriptions, themes stay as the sources wrote them)."""
    if translation.get_language() == settings.LANGUAGE_CODE:
        return ""
    return mark_safe(f' lang="{settings.LANGUAGE_CODE}"')


# How a time of day is written, per language (Django's TIME_FORMAT says "14:30" in French).
_CLOCK_FORMATS = {"fr": "H\\hi"}


def clock(value) -> str:
    """A time of day as the current language writes it: 14h30 in French, 14:30 in English."""
    if value in (None, ""):
        return ""
    return time_format(value, _CLOCK_FORMATS.get(translation.get_language(), "H:i"))


def french(content: str) -> str:
    """`{% filter french %}…{% endfilter %}`: French text from the sources inside a sentence
    of the interface; wrapped in `<span lang="fr">` on the pages of another language,
    unchanged on French pages."""
    if translation.get_language() == settings.LANGUAGE_CODE or not content:
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
