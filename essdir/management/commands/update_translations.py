"""Regenerate the catalogues from the code: `python manage.py update_translations`.

Django's `makemessages` reads Python and Django templates (through GNU xgettext), not
Jinja2 templates, which are most of the site's. This command reads all three, in pure
Python, as the running site looks the messages up:

- Python (`*.py` of the project, not tests nor migrations): calls of `_`, `gettext`,
  `gettext_lazy`, `gettext_noop`, `ngettext[_lazy]`, `pgettext[_lazy]`, `npgettext[_lazy]`
  whose message arguments are string literals, read from the syntax tree (adjacent literals
  joined, as Python does);
- Jinja2 templates (the DIRS of the `jinja2` engine, less the Django engine's): Jinja2's
  extractor run by the site's own environment, so `{% trans %}` blocks are trimmed and their
  variables written `%(name)s` exactly as at runtime;
- Django templates (the DIRS of the Django engine): Django's `templatize`, the step
  `makemessages` runs before xgettext, then the same calls read from its output.

Each catalogue (`locale/<lang>/LC_MESSAGES/django.po` for every language but the source
one) is then rewritten: existing translations and translator comments kept, new messages
added untranslated, messages no longer in the code dropped (git keeps their history), every
entry sorted by its msgid. No source references are written, so a change that only moves a
message leaves the catalogue as it is. Running the command twice changes nothing;
`--check` only says whether it would.
"""

from __future__ import annotations

import ast
import io
import os
import re
import tokenize
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

# The functions that mark a message, with the positions of their (context, singular,
# plural) arguments: Django's and gettext's, as `makemessages` gives them to xgettext.
KEYWORDS: dict[str, tuple[int | None, int, int | None]] = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}
# Directories under BASE_DIR whose Python is not the site's interface.
SKIPPED_DIRECTORIES = {"tests", "migrations", "node_modules", "staticfiles", "static"}
# What gettext's tools flag "python-format": a %-directive (%(name)s, %s, %d, %%…).
_PYTHON_FORMAT = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[sdifeEgGxXorca%]")
DEFAULT_METADATA = {
    "Project-Id-Version": "essdir",
    "Report-Msgid-Bugs-To": "",
    "MIME-Version": "1.0",
    "Content-Type": "text/plain; charset=UTF-8",
    "Content-Transfer-Encoding": "8bit",
    "Plural-Forms": "nplurals=2; plural=(n != 1);",
}


@dataclass(frozen=True)
class Message:
    """A message as gettext looks it up: (context, msgid), and the plural if it has one."""

    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


# --- Extraction ------------------------------------------------------------------------------


def _message(name: str, arguments: list[str | None]) -> Message | None:
    """The message of a call to `name` with these arguments (None: not a literal)."""
    context, singular, plural = KEYWORDS[name]

    def argument(position: int | None) -> str | None:
        return arguments[position] if position is not None and position < len(arguments) else None

    msgid = argument(singular)
    msgctxt = argument(context)
    msgid_plural = argument(plural)
    if (
        not msgid
        or (context is not None and msgctxt is None)
        or (plural is not None and msgid_plural is None)
    ):
        return None  # a variable: its message must be marked where it is written
    return Message(msgid=msgid, msgctxt=msgctxt, msgid_plural=msgid_plural)


def python_messages(source: str) -> list[Message]:
    """The messages that Python `source` marks, in their order."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        name = (
            function.id
            if isinstance(function, ast.Name)
            else function.attr
            if isinstance(function, ast.Attribute)
            else None
        )
        if name not in KEYWORDS:
            continue
        arguments = [
            argument.value
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str)
            else None
            for argument in node.args
        ]
        message = _message(name, arguments)
        if message is not None:
            found.append((node.lineno, node.col_offset, message))
    return [message for *_, message in sorted(found, key=lambda item: item[:2])]


def _call_arguments(tokens: list[tokenize.TokenInfo], start: int) -> list[str | None]:
    """The arguments of the call whose "(" is tokens[start]: a literal's value, else None."""
    arguments: list[str | None] = []
    current: list[tokenize.TokenInfo] = []
    depth = 0
    for token in tokens[start + 1 :]:
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif token.type == tokenize.OP and token.string == "," and depth == 0:
            arguments.append(_literal(current))
            current = []
            continue
        current.append(token)
    if current:
        arguments.append(_literal(current))
    return arguments


def _literal(tokens: list[tokenize.TokenInfo]) -> str | None:
    if not tokens or any(token.type != tokenize.STRING for token in tokens):
        return None
    value = ast.literal_eval(" ".join(token.string for token in tokens))
    return value if isinstance(value, str) else None


def django_template_messages(source: str) -> list[Message]:
    """The messages that a Django template marks, read as `makemessages` does: Django's
    `templatize` turns the template into gettext calls, whose arguments are read here."""
    from django.utils.translation.template import templatize

    # Its output is Python's tokens, not Python: unindented, it tokenises.
    code = "\n".join(line.lstrip() for line in templatize(source).splitlines()) + "\n"
    tokens = [
        token
        for token in tokenize.generate_tokens(io.StringIO(code).readline)
        if token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT)
    ]
    found = []
    for index, token in enumerate(tokens[:-1]):
        following = tokens[index + 1]
        if token.type == tokenize.NAME and token.string in KEYWORDS and following.string == "(":
            message = _message(token.string, _call_arguments(tokens, index + 1))
            if message is not None:
                found.append(message)
    return found


def jinja2_messages(source: str) -> list[Message]:
    """The messages that a template of the site (Jinja2) marks, as the site looks them up:
    extracted by the site's own environment, so with its extensions and `trimmed` policy."""
    from django.template import engines

    found = []
    for _, name, strings in engines["jinja2"].env.extract_translations(source):
        # A call with variables gives a tuple: its strings, then None for each variable.
        arguments = list(strings) if isinstance(strings, tuple) else [strings]
        message = _message(name, arguments) if name in KEYWORDS else None
        if message is not None:
            found.append(message)
    return found


def _template_dirs(backend: str) -> list[Path]:
    return [
        Path(directory)
        for engine in settings.TEMPLATES
        if engine["BACKEND"].endswith(backend)
        for directory in engine.get("DIRS", [])
    ]


def _files(directory: Path) -> Iterator[Path]:
    for root, directories, files in os.walk(directory):
        directories[:] = sorted(directories)
        for name in sorted(files):
            yield Path(root) / name


def python_files() -> list[Path]:
    """The project's Python files: not the tests, migrations or a virtualenv."""
    base = Path(settings.BASE_DIR)
    found = []
    for root, directories, files in os.walk(base):
        directories[:] = sorted(
            name
            for name in directories
            if not name.startswith((".", "__"))
            and name not in SKIPPED_DIRECTORIES
            and not (Path(root) / name / "pyvenv.cfg").exists()
        )
        found.extend(Path(root) / name for name in sorted(files) if name.endswith(".py"))
    return found


def django_template_files() -> list[Path]:
    return [path for directory in _template_dirs(".DjangoTemplates") for path in _files(directory)]


def jinja2_template_files() -> list[Path]:
    """The site's templates: the Jinja2 engine's DIRS, less the Django engine's inside them."""
    django_dirs = [directory.resolve() for directory in _template_dirs(".DjangoTemplates")]
    return [
        path
        for directory in _template_dirs("Jinja2")
        for path in _files(directory)
        if not any(path.resolve().is_relative_to(django_dir) for django_dir in django_dirs)
    ]


# Each kind of source: its files, and what reads the messages of one.
READERS: dict[str, tuple[Callable[[], list[Path]], Callable[[str], list[Message]]]] = {
    "python": (python_files, python_messages),
    "jinja2": (jinja2_template_files, jinja2_messages),
    "django": (django_template_files, django_template_messages),
}


def source_messages(kinds: Iterable[str] = READERS) -> dict[Path, list[Message]]:
    """Every file of these kinds of source that marks messages, with its messages."""
    found: dict[Path, list[Message]] = {}
    for kind in kinds:
        files, read = READERS[kind]
        for path in files():
            try:
                messages = read(path.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, SyntaxError, tokenize.TokenError) as error:
                raise CommandError(f"{path}: {error}") from error
            except Exception as error:  # Jinja2's TemplateSyntaxError and the like
                raise CommandError(f"{path}: {type(error).__name__}: {error}") from error
            if messages:
                found[path] = messages
    return found


def extract() -> list[Message]:
    """Every message the code marks, each once, in the catalogue's order."""
    unique = {
        message.key: message for messages in source_messages().values() for message in messages
    }
    return sorted(unique.values(), key=_order)


# --- The catalogue ---------------------------------------------------------------------------


def _order(message: Message | polib.POEntry) -> tuple[str, str, str, str]:
    """Alphabetical, accents and case aside (É with E), then exact: deterministic."""
    text = unicodedata.normalize("NFKD", message.msgid)
    loose = "".join(char for char in text if not unicodedata.combining(char)).casefold()
    return (loose, message.msgid, message.msgctxt or "", message.msgid_plural or "")


def catalogue_paths() -> list[Path]:
    """The catalogue of each language but the source one, in the first of LOCALE_PATHS."""
    base = Path(settings.LOCALE_PATHS[0])
    return [
        base / code / "LC_MESSAGES" / "django.po"
        for code, _ in settings.LANGUAGES
        if code != settings.LANGUAGE_CODE
    ]


def merge(
    messages: Iterable[Message], existing: polib.POFile | None, language: str
) -> polib.POFile:
    """The catalogue of `messages`: the translations, translator comments and fuzzy flags of
    `existing` kept; a message whose plural changed is translated anew."""
    previous = {}
    if existing is not None:
        previous = {(entry.msgctxt, entry.msgid): entry for entry in existing if not entry.obsolete}
    catalogue = polib.POFile(wrapwidth=0)
    catalogue.header = existing.header if existing is not None else ""
    catalogue.metadata = (
        dict(existing.metadata)
        if existing is not None
        else {**DEFAULT_METADATA, "Language": language}
    )
    for message in sorted(messages, key=_order):
        old = previous.get(message.key)
        if old is not None and (old.msgid_plural or None) != message.msgid_plural:
            old = None
        # python-format is worked out; the other flags (fuzzy…) are the translator's.
        kept = [flag for flag in (old.flags if old is not None else []) if flag != "fuzzy"]
        flags = ["fuzzy"] if old is not None and "fuzzy" in old.flags else []
        texts = (message.msgid, message.msgid_plural or "")
        if "no-python-format" not in kept and any(map(_PYTHON_FORMAT.search, texts)):
            flags.append("python-format")
        flags.extend(flag for flag in kept if flag != "python-format")
        entry = polib.POEntry(
            msgid=message.msgid,
            msgctxt=message.msgctxt,
            msgid_plural=message.msgid_plural or "",
            tcomment=old.tcomment if old is not None else "",
            flags=flags,
        )
        if message.msgid_plural:
            forms = _plural_count(catalogue)
            entry.msgstr_plural = {
                form: (old.msgstr_plural.get(form, "") if old is not None else "")
                for form in range(forms)
            }
        else:
            entry.msgstr = old.msgstr if old is not None else ""
        catalogue.append(entry)
    return catalogue


def _plural_count(catalogue: polib.POFile) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", catalogue.metadata.get("Plural-Forms", ""))
    return int(match.group(1)) if match else 2


def render(catalogue: polib.POFile) -> str:
    return str(catalogue).rstrip("\n") + "\n"


def untranslated(catalogue: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in catalogue if not entry.translated()]


class Command(BaseCommand):
    help = (
        "Regenerate locale/<lang>/LC_MESSAGES/django.po from the messages marked in the "
        "Python code, the Jinja2 templates and the Django templates: translations kept, new "
        "messages added untranslated, vanished ones dropped, sorted by msgid."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; exit with an error if a catalogue is not up to date.",
        )
        parser.add_argument(
            "--output",
            help="Write the (single) regenerated catalogue there instead of in place.",
        )

    def handle(self, *args, check=False, output=None, **options):
        self.verbosity = options["verbosity"]
        paths = catalogue_paths()
        if not paths:
            raise CommandError("No language to translate into besides LANGUAGE_CODE.")
        if output and len(paths) > 1:
            raise CommandError("--output needs a single target language.")
        messages = extract()
        stale = []
        for path in paths:
            language = path.parent.parent.name
            try:
                existing = polib.pofile(str(path)) if path.exists() else None
            except (OSError, ValueError) as error:
                raise CommandError(f"{path}: {error}") from error
            catalogue = merge(messages, existing, language)
            text = render(catalogue)
            before = {(e.msgctxt, e.msgid) for e in existing or [] if not e.obsolete}
            after = {(e.msgctxt, e.msgid) for e in catalogue}
            target = Path(output) if output else path
            current = target.read_text(encoding="utf-8") if target.exists() else None
            if check:
                if current != text:
                    stale.append(str(path))
            elif current != text:
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_name(f".{target.name}.{os.getpid()}")
                partial.write_text(text, encoding="utf-8")
                partial.replace(target)  # never a half-written catalogue
            shown = target.resolve()
            if shown.is_relative_to(Path(settings.BASE_DIR).resolve()):
                shown = shown.relative_to(Path(settings.BASE_DIR).resolve())
            self._report(shown, catalogue, added=after - before, dropped=before - after)
        if stale:
            raise CommandError(
                f"Not up to date: {', '.join(stale)}; run `python manage.py update_translations` "
                "(make messages)."
            )

    def _report(self, path, catalogue, added, dropped):
        missing = untranslated(catalogue)
        if self.verbosity >= 1:
            self.stdout.write(
                f"{path}: {len(catalogue)} messages, {len(added)} new, {len(dropped)} dropped, "
                f"{len(missing)} untranslated"
            )
            for label, keys in (("new", added), ("dropped", dropped)):
                for context, msgid in sorted(keys, key=lambda key: (key[1], key[0] or "")):
                    shown = f"{msgid!r}" + (f" (context {context!r})" if context else "")
                    self.stdout.write(f"  {label}: {shown}")
        if missing:
            self.stdout.write(
                self.style.WARNING(
                    f"  {len(missing)} message(s) without a translation: write their msgstr in "
                    f"{path}, then run `python manage.py compile_translations`."
                )
            )
