"""The English catalogue is what `manage.py update_translations` writes, and it is complete.

The command (`make messages`) extracts every message marked in the Python code, the Jinja2
templates and the Django templates, and rewrites locale/en/LC_MESSAGES/django.po from them.
These tests fail when a marked message has no English (missing, empty or fuzzy), and when
the committed catalogue is not exactly what the command writes: a message added, changed or
removed in the code without running it. The per-template check, which names the template,
is in test_i18n_templates.py.
"""

from __future__ import annotations

import functools
import io
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from essdir.management.commands import update_translations as extraction
from essdir.management.commands.update_translations import Message

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
STALE = "the catalogue is not what the code marks: run `make messages`, translate, commit"


@functools.cache
def _messages(kind: str) -> dict[Path, list[Message]]:
    return extraction.source_messages([kind])


_extract = extraction.extract


@functools.cache
def _extracted() -> list[Message]:
    return _extract()


def _entries(catalogue: polib.POFile) -> list[tuple]:
    """What a catalogue says of each message: what gettext looks up and what it answers."""
    return [
        (
            entry.msgctxt,
            entry.msgid,
            entry.msgid_plural or None,
            entry.msgstr,
            sorted(entry.msgstr_plural.items()),
            entry.fuzzy,
        )
        for entry in catalogue
    ]


def _update(**options) -> str:
    out = io.StringIO()
    call_command("update_translations", stdout=out, **options)
    return out.getvalue()


# --- The guard ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(extraction.READERS))
def test_every_marked_message_has_an_english_translation(kind):
    catalogue = {(entry.msgctxt, entry.msgid): entry for entry in polib.pofile(str(CATALOGUE))}

    missing = sorted(
        {
            (path.relative_to(settings.BASE_DIR).as_posix(), message.msgid)
            for path, messages in _messages(kind).items()
            for message in messages
            if message.key not in catalogue
            or not catalogue[message.key].translated()
            or (catalogue[message.key].msgid_plural or None) != message.msgid_plural
        }
    )
    assert not missing, "No English in locale/en/LC_MESSAGES/django.po (`make messages`):\n" + (
        "\n".join(f"  {path}: {msgid!r}" for path, msgid in missing)
    )


def test_catalogue_is_what_update_translations_writes(tmp_path):
    regenerated = tmp_path / "django.po"
    _update(output=str(regenerated), verbosity=0)

    committed = _entries(polib.pofile(str(CATALOGUE)))
    expected = _entries(polib.pofile(str(regenerated)))
    differences = [f"  + {entry}" for entry in expected if entry not in committed] + [
        f"  - {entry}" for entry in committed if entry not in expected
    ]
    assert not differences, f"{STALE}:\n" + "\n".join(differences)
    # Same entries, so only the order, flags, comments or layout can differ.
    assert CATALOGUE.read_text(encoding="utf-8") == regenerated.read_text(encoding="utf-8"), STALE


def test_plural_messages_have_every_english_form():
    catalogue = polib.pofile(str(CATALOGUE))
    assert catalogue.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"

    plurals = [entry for entry in catalogue if entry.msgid_plural]
    assert plurals
    wrong = [entry.msgid for entry in plurals if sorted(entry.msgstr_plural) != [0, 1]]
    assert wrong == []


# --- The command ---------------------------------------------------------------------------


@pytest.fixture
def catalogue_copy(tmp_path, settings, monkeypatch):
    """The catalogue copied under a LOCALE_PATHS of its own, the code's messages read once."""
    copy = tmp_path / "en" / "LC_MESSAGES" / "django.po"
    copy.parent.mkdir(parents=True)
    shutil.copy(CATALOGUE, copy)
    settings.LOCALE_PATHS = [tmp_path]
    monkeypatch.setattr(extraction, "extract", _extracted)
    return copy


def test_update_translations_is_idempotent(catalogue_copy):
    _update(verbosity=0)
    first = catalogue_copy.read_text(encoding="utf-8")
    _update(verbosity=0)

    assert catalogue_copy.read_text(encoding="utf-8") == first
    _update(check=True, verbosity=0)


def test_a_new_marked_message_fails_the_guard(catalogue_copy, monkeypatch):
    _update(verbosity=0)
    new = Message("Un message tout neuf, pas encore traduit")
    monkeypatch.setattr(extraction, "extract", lambda: [*_extracted(), new])

    with pytest.raises(CommandError, match="Not up to date"):
        _update(check=True, verbosity=0)
    output = _update(verbosity=1)

    assert f"new: {new.msgid!r}" in output
    entry = polib.pofile(str(catalogue_copy)).find(new.msgid)
    assert (entry.msgstr, entry.translated()) == ("", False)


def test_update_translations_keeps_translations_adds_new_messages_and_drops_vanished_ones():
    existing = polib.POFile()
    existing.metadata = {"Language": "en", "Plural-Forms": "nplurals=2; plural=(n != 1);"}
    for entry in [
        polib.POEntry(msgid="Zone", msgstr="Area", tcomment="The map's area."),
        polib.POEntry(msgid="Ancien", msgstr="Old"),
        polib.POEntry(msgid="À revoir", msgstr="To check", flags=["fuzzy"]),
        polib.POEntry(msgid="Tous", msgctxt="themes", msgstr="All"),
        polib.POEntry(
            msgid="%(n)s acteur",
            msgid_plural="%(n)s acteurs",
            msgstr_plural={0: "%(n)s organisation", 1: "%(n)s organisations"},
        ),
        polib.POEntry(msgid="un lieu", msgid_plural="des lieux", msgstr_plural={0: "a", 1: "b"}),
    ]:
        existing.append(entry)
    messages = [
        Message("Zone"),
        Message("Tous", msgctxt="themes"),
        Message("Tous"),
        Message("%(n)s acteur", msgid_plural="%(n)s acteurs"),
        Message("un lieu", msgid_plural="les lieux"),
        Message("À revoir"),
        Message("éditer"),
    ]

    catalogue = extraction.merge(messages, existing, "en")

    assert [
        (e.msgctxt, e.msgid, e.msgstr, e.msgstr_plural, e.flags, e.tcomment) for e in catalogue
    ] == [
        (
            None,
            "%(n)s acteur",
            "",
            {0: "%(n)s organisation", 1: "%(n)s organisations"},
            ["python-format"],
            "",
        ),
        (None, "À revoir", "To check", {}, ["fuzzy"], ""),
        (None, "éditer", "", {}, [], ""),
        (None, "Tous", "", {}, [], ""),
        ("themes", "Tous", "All", {}, [], ""),
        # Its plural changed: translated anew.
        (None, "un lieu", "", {0: "", 1: ""}, [], ""),
        (None, "Zone", "Area", {}, [], "The map's area."),
    ]
    assert catalogue.metadata == existing.metadata
    text = extraction.render(catalogue)
    assert "Ancien" not in text
    assert "#:" not in text  # no source references: moving code leaves the catalogue as is
    assert extraction.render(extraction.merge(messages, polib.pofile(text), "en")) == text


# --- Extraction ------------------------------------------------------------------------------


def test_python_messages_reads_the_calls_that_mark_a_message():
    source = """
from django.utils import translation
from django.utils.translation import gettext_lazy as _, ngettext, pgettext_lazy

LABEL = _("Nom de la structure")
HELP = _(
    "Une phrase "
    "sur la structure."
)
COUNT = ngettext("%(n)s acteur", "%(n)s acteurs", n)
ADDRESS = pgettext_lazy("address", "non communiquée")
MONTHS = translation.npgettext("agenda", "%(n)s mois", "%(n)s mois", n)
NOOP = translation.gettext_noop("Brouillon")
DYNAMIC = _(label), _(f"Bonjour {name}"), _("")
OTHER = print("pas un message"), _
"""
    assert extraction.python_messages(source) == [
        Message("Nom de la structure"),
        Message("Une phrase sur la structure."),
        Message("%(n)s acteur", msgid_plural="%(n)s acteurs"),
        Message("non communiquée", msgctxt="address"),
        Message("%(n)s mois", msgctxt="agenda", msgid_plural="%(n)s mois"),
        Message("Brouillon"),
    ]


def test_django_template_messages_reads_what_makemessages_reads():
    source = (
        "{% load i18n %}<h1>{% translate 'Journal des suppressions' %}</h1>"
        '{% translate "Tous" context "themes" %}\n'
        "  {% blocktranslate trimmed count counter=n %}\n    {{ counter }} fiche\n"
        "  {% plural %}\n    {{ counter }} fiches\n  {% endblocktranslate %}\n"
        '{{ value|default:_("non précisé") }} Texte non marqué'
    )
    assert extraction.django_template_messages(source) == [
        Message("Journal des suppressions"),
        Message("Tous", msgctxt="themes"),
        Message("%(counter)s fiche", msgid_plural="%(counter)s fiches"),
        Message("non précisé"),
    ]


def test_jinja2_messages_are_looked_up_as_the_site_renders_them():
    source = (
        "{% trans count=n %}\n  {{ count }} %\n  fiche\n{% pluralize %}{{ count }} % fiches"
        '{% endtrans %}{% trans %}100 % local{% endtrans %}{{ _(label) }}{{ _("Acteurs") }}'
    )
    # Trimmed, variables as %(name)s, "%" doubled as the newstyle gettext formats them.
    assert extraction.jinja2_messages(source) == [
        Message("%(count)s %% fiche", msgid_plural="%(count)s %% fiches"),
        Message("100 %% local"),
        Message("Acteurs"),
    ]
