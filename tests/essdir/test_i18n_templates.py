"""Every interface string of the templates is marked for translation.

Parses each template of the site under templates/ (Jinja2; not the benchmark page, nor
the admin's, which stays French, in templates/django/), drops what is translated
(`{% trans %}` blocks, `_("…")`, `pgettext("…", "…")`), comments, tags, variables and
HTML tags, and flags the words left — in the text and in the attributes people see or hear
(title, alt, aria-label, placeholder, meta content) — and the literal strings passed to
filters and partials (`default("…")`, `{% with button="…" %}`).

Then every message each template marks has its English translation in the catalogue, read
by the extraction of `manage.py update_translations` (the site's Jinja2 environment, as at
runtime). test_translations.py checks the whole catalogue is what that command writes.
"""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings

from essdir.management.commands import update_translations as extraction

TEMPLATES = Path(settings.BASE_DIR) / "templates"
SKIPPED = ("bench/", "django/")
# Words that are the same in every language: brand, identifiers, formats.
ALLOWED_WORDS = {"essdir", "SIREN", "SIRET", "NAF", "RNA", "CSV", "JSON", "CTES"}
VISIBLE_ATTRIBUTES = {"title", "alt", "aria-label", "placeholder"}

_COMMENT = re.compile(r"\{#.*?#\}", re.S)
_BLOCK_TRANSLATE = re.compile(r"\{%-?\s*trans\b.*?%\}.*?\{%-?\s*endtrans\s*-?%\}", re.S)
_TRANSLATE = re.compile(
    r"""\b(?:_|gettext|pgettext|ngettext)\((?:[^()"']|"[^"]*"|'[^']*')*\)""", re.S
)
_DJANGO = re.compile(r"\{%.*?%\}|\{\{.*?\}\}", re.S)
_LITERAL = re.compile(r"""(["'])(.*?)\1""")
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
        '<p title="Une aide">{{ _("Bonjour") }} Au revoir</p>'
        '{% with button="Trouver" %}{% include "x.html" %}{% endwith %}'
        '{{ a|default("non précisé") }}{{ a|default(_("non précisée")) }}'
        '{{ pgettext("address", "non communiquée") }}{{ d|date("j F Y") }}{{ url("site:home") }}'
        "{% trans counter=n %}un{% pluralize %}{{ n }} autres{% endtrans %}"
        "{# Un commentaire #} essdir SIRET"
    )
    assert untranslated(source) == ["Trouver", "non précisé", "Une", "aide", "Au", "revoir"]


@functools.cache
def _catalogue() -> dict[tuple[str | None, str], polib.POEntry]:
    po = polib.pofile(Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po")
    return {(entry.msgctxt, entry.msgid): entry for entry in po if not entry.obsolete}


def template_messages(source: str) -> list[tuple[str | None, str]]:
    """(context, msgid) of every message `source` marks, as gettext will look them up."""
    return [message.key for message in extraction.jinja2_messages(source)]


def site_template_names() -> list[str]:
    """Every template of the site's Jinja2 engine: pages, partials, e-mails."""
    return [path.relative_to(TEMPLATES).as_posix() for path in extraction.jinja2_template_files()]


@pytest.mark.parametrize("name", site_template_names())
def test_template_messages_have_an_english_translation(name):
    catalogue = _catalogue()
    source = (TEMPLATES / name).read_text(encoding="utf-8")
    missing = [
        message
        for message in template_messages(source)
        if message not in catalogue or not catalogue[message].translated()
    ]
    assert missing == []


def test_template_messages_are_the_catalogues_msgids():
    source = (
        '{{ _("Acteurs") }}{{ pgettext("address", "non communiquée par la source") }}'
        "{% trans counter=n %}{{ counter }} acteur{% pluralize %}{{ counter }} acteurs"
        "{% endtrans %}"
        "{% trans name=x %}\n  Bonjour\n  {{ name }}\n{% endtrans %}"
    )
    assert template_messages(source) == [
        (None, "Acteurs"),
        ("address", "non communiquée par la source"),
        (None, "%(counter)s acteur"),
        (None, "Bonjour %(name)s"),
    ]
    assert [message.msgid_plural for message in extraction.jinja2_messages(source)] == [
        None,
        None,
        "%(counter)s acteurs",
        None,
    ]
