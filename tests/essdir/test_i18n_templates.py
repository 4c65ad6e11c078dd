"""Every interface string of the templates is marked for translation.

Parses each template under templates/ (not the admin's, nor the benchmark page), drops
what is translated ({% translate %}, {% blocktranslate %}, `_("…")`), comments, Django tags
and variables and HTML tags, and flags the words left — in the text and in the attributes
people see or hear (title, alt, aria-label, placeholder, meta content) — and the literal
strings passed to tags and filters (`default:"…"`, `with button="…"`).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"
SKIPPED = ("admin/", "bench/")
# Words that are the same in every language: brand, identifiers, formats.
ALLOWED_WORDS = {"essdir", "SIREN", "SIRET", "NAF", "RNA", "CSV", "JSON", "CTES"}
VISIBLE_ATTRIBUTES = {"title", "alt", "aria-label", "placeholder"}

_COMMENT = re.compile(r"\{#.*?#\}|\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.S)
_BLOCK_TRANSLATE = re.compile(
    r"\{%\s*blocktrans(?:late)?\b.*?%\}.*?\{%\s*endblocktrans(?:late)?\s*%\}", re.S
)
_TRANSLATE = re.compile(r"\{%\s*trans(?:late)?\s.*?%\}", re.S)
_DJANGO = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.S)
_LITERAL = re.compile(r"""(?<!_\()(["'])(.*?)\1""")
_WORD = re.compile(r"[^\W\d_]{2,}")
# Literals that no one reads: template names, paths and query strings, URL names, date
# formats, identifiers.
_NOT_TEXT = re.compile(
    r"""^(?:\S*[./=]\S*|[\w-]+:[\w-]+|[a-z0-9_-]*|[djlDNSwzWFMnmyYaAfgGhHiPsuTeIOUrcE\\ ,.:-]+)$"""
)


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.parts.extend(value for name, value in attrs if name in VISIBLE_ATTRIBUTES and value)
        if tag == "meta" and ("name", "description") in attrs:
            self.parts.extend(value for name, value in attrs if name == "content" and value)

    def handle_data(self, data):
        self.parts.append(data)


def untranslated(source: str) -> list[str]:
    """The words of `source` (a template) that would show untranslated."""
    source = _COMMENT.sub("", source)
    source = _BLOCK_TRANSLATE.sub("", source)
    source = _TRANSLATE.sub("", source)
    found: list[str] = []
    for tag in _DJANGO.findall(source):
        for _, literal in _LITERAL.findall(tag):
            if _WORD.search(literal) and not _NOT_TEXT.match(literal):
                found.append(literal)
    parser = _Text()
    parser.feed(_DJANGO.sub(" ", source))
    parser.close()
    for part in parser.parts:
        found.extend(word for word in _WORD.findall(part) if word not in ALLOWED_WORDS)
    return found


def template_names() -> list[str]:
    names = (
        path.relative_to(TEMPLATES).as_posix()
        for path in TEMPLATES.rglob("*")
        if path.is_file() and path.suffix == ".html"
    )
    return sorted(name for name in names if not name.startswith(SKIPPED))


@pytest.mark.parametrize("name", template_names())
def test_template_strings_marked_for_translation(name):
    assert untranslated((TEMPLATES / name).read_text(encoding="utf-8")) == []


def test_untranslated_flags_unmarked_text_attributes_and_literals():
    source = (
        '{% load i18n %}<p title="Une aide">{% translate "Bonjour" %} Au revoir</p>'
        '{% include "x.html" with button="Trouver" only %}{{ a|default:"non précisé" }}'
        '{{ a|default:_("non précisée") }}{{ d|date:"j F Y" }}{% url "site:home" %}'
        "{% blocktranslate count n=n %}un{% plural %}{{ n }} autres{% endblocktranslate %}"
        "{# Un commentaire #} essdir SIRET"
    )
    assert untranslated(source) == ["Trouver", "non précisé", "Une", "aide", "Au", "revoir"]
