"""reverse(), kept: a page links to dozens of records, and each reverse() costs about 25 µs
(80 of them were 4 ms of a territory's page)."""

from __future__ import annotations

import functools

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import translation


@functools.lru_cache(maxsize=100_000)
def _reverse(viewname: str, args: tuple, kwargs: tuple, language, prefix: str, urlconf) -> str:
    # language, prefix and urlconf are what reverse() reads from the request's state: they
    # are part of the key, and active when the path is first built (the language made so,
    # whatever a caller of reverse_in() says).
    with translation.override(language):
        return reverse(viewname, urlconf=urlconf, args=args or None, kwargs=dict(kwargs) or None)


def cached_reverse(viewname: str, *args, **kwargs) -> str:
    """reverse(viewname, args=args, kwargs=kwargs) in the active language, kept per route,
    arguments, language, script prefix and URL configuration."""
    return reverse_in(translation.get_language(), viewname, *args, **kwargs)


def reverse_in(language: str | None, viewname: str, *args, **kwargs) -> str:
    """cached_reverse() where the active `language` is known already (a template's, read
    once when its rendering began): each read of the active language costs as much as the
    rest of a kept reverse."""
    return _reverse(
        viewname,
        args,
        tuple(sorted(kwargs.items())),
        language,
        get_script_prefix(),
        get_urlconf() or settings.ROOT_URLCONF,
    )
