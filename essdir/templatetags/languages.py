"""The page in each language: the switcher, hreflang alternates, French content marked."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils import translation
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
