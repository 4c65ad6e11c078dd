"""The page in each language: the switcher, hreflang alternates, French content marked."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils import translation
from django.utils.dateformat import time_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


@dataclass(frozen=True)
class Alternate:
    code: str
    name: str
    url: str
    absolute_url: str
    current: bool


@register.simple_tag(takes_context=True)
def page_languages(context) -> list[Alternate]:
    """The current page in every language, or [] when the page has no translation.

    The admin, the API, feeds and error pages for unknown addresses are in French only: an
    address that resolves to the same path in every language is not a bilingual page.
    """
    request = context.get("request")
    if request is None:
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


@register.simple_tag
def source_lang() -> str:
    """` lang="fr"` on an element showing French content from the sources, in another
    language's page (names, descriptions, themes stay as the sources wrote them)."""
    if translation.get_language() == settings.LANGUAGE_CODE:
        return ""
    return mark_safe(f' lang="{settings.LANGUAGE_CODE}"')


# How a time of day is written, per language (Django's TIME_FORMAT says "14:30" in French).
_CLOCK_FORMATS = {"fr": "H\\hi"}


@register.filter
def clock(value) -> str:
    """A time of day as the current language writes it: 14h30 in French, 14:30 in English."""
    if value in (None, ""):
        return ""
    return time_format(value, _CLOCK_FORMATS.get(translation.get_language(), "H:i"))


class _FrenchNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context):
        content = self.nodelist.render(context)
        if translation.get_language() == settings.LANGUAGE_CODE or not content:
            return content
        return format_html('<span lang="{}">{}</span>', settings.LANGUAGE_CODE, content)


@register.tag
def french(parser, token):
    """`{% french %}…{% endfrench %}`: French text from the sources inside a sentence of the
    interface; wrapped in `<span lang="fr">` on the pages of another language, unchanged on
    French pages."""
    nodelist = parser.parse(("endfrench",))
    parser.delete_first_token()
    return _FrenchNode(nodelist)


@register.filter
def plural_number(count) -> int:
    """The number that picks the plural form of a count (an int or a bounded tally) in
    `{% blocktranslate count %}`: French writes 0 in the singular ("0 établissement
    ouvert"), which gettext's default rule for untranslated French does not."""
    value = int(getattr(count, "value", count))
    if value == 0 and translation.get_language() == "fr":
        return 1
    return value
