"""The bytes of a SCDL file, as rows: UTF-8 only, its delimiter and header, its line numbers.

The stream is read once per pass and hashed as it goes (SHA-256, which tells an import of
the same file again). Nothing is kept but the current row.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass

from grants import schema

# The delimiters a header may use: the schema's comma, and the semicolon French
# spreadsheets write.
DELIMITERS = (",", ";")
# A cell may hold long text; the csv module's default limit (128 kB) is kept.
BUFFER = 1 << 16


class FileProblem(Exception):
    """The whole file is unreadable as a SCDL file; the message says why, in French."""


class HashingReader(io.RawIOBase):
    """A binary stream that hashes what is read through it."""

    def __init__(self, raw):
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.raw.read(len(buffer))
        count = len(data)
        buffer[:count] = data
        self.sha256.update(data)
        self.size += count
        return count


@dataclass(frozen=True)
class Header:
    """The file's columns: their positions by schema name, and its delimiter."""

    delimiter: str
    positions: dict[str, int]
    width: int
    missing_optional: tuple[str, ...]


def _encoding_problem(error: UnicodeDecodeError, line: int) -> FileProblem:
    chunk = error.object[error.start : error.start + 4]
    guess = ""
    try:
        chunk.decode("cp1252")
        guess = " Il semble encodé en Latin-1 / Windows-1252 (« ANSI »)."
    except UnicodeDecodeError:
        pass
    return FileProblem(
        f"le fichier n'est pas encodé en UTF-8 (octet 0x{error.object[error.start]:02x} "
        f"invalide vers la ligne {line}).{guess} Enregistrez-le en « CSV UTF-8 » (avec ou "
        "sans BOM) et importez-le à nouveau."
    )


def _first_bytes_problem(head: bytes) -> str:
    if not head:
        return "le fichier est vide."
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return (
            "le fichier est encodé en UTF-16. Enregistrez-le en « CSV UTF-8 » (avec ou sans "
            "BOM) et importez-le à nouveau."
        )
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return (
            "c'est un classeur (Excel, LibreOffice), pas un fichier CSV : enregistrez-le en "
            "« CSV UTF-8 »."
        )
    return ""


def _header(line: str) -> Header:
    best = None
    known = set(schema.field_names())
    for delimiter in DELIMITERS:
        names = [name.strip() for name in next(csv.reader([line], delimiter=delimiter), [])]
        score = sum(name in known for name in names)
        if best is None or score > best[0]:
            best = (score, delimiter, names)
    _score, delimiter, names = best
    duplicates = sorted({name for name in names if names.count(name) > 1})
    unknown = [name for name in names if name not in known]
    required = [spec.name for spec in schema.fields() if spec.required]
    missing_required = [name for name in required if name not in names]
    reasons = []
    if missing_required:
        reasons.append("colonnes obligatoires absentes : " + ", ".join(missing_required))
    if unknown:
        shown = ", ".join(f"« {schema.shorten(name, 30)} »" for name in unknown[:10])
        reasons.append("colonnes inconnues du schéma : " + shown)
    if duplicates:
        reasons.append("colonnes en double : " + ", ".join(duplicates))
    if reasons:
        raise FileProblem(
            "les colonnes ne sont pas celles du schéma "
            + schema.NAME
            + " ("
            + " ; ".join(reasons)
            + "). La première ligne doit nommer les colonnes : "
            + ", ".join(schema.field_names())
            + "."
        )
    missing_optional = tuple(name for name in schema.field_names() if name not in names)
    return Header(
        delimiter=delimiter,
        positions={name: index for index, name in enumerate(names)},
        width=len(names),
        missing_optional=missing_optional,
    )


class SourceFile:
    """One pass over a SCDL file: `header`, then `rows()`, then `sha256` and `size`.

    `stream` is a binary file object; the caller rewinds it between passes. Lines are
    decoded one at a time, so that a byte that is not UTF-8 is reported on its line.
    """

    def __init__(self, stream):
        self._hashing = HashingReader(stream)
        self._buffered = io.BufferedReader(self._hashing, BUFFER)
        problem = _first_bytes_problem(self._buffered.peek(4)[:4])
        if problem:
            raise FileProblem(problem)
        self._lines = self._decoded_lines()
        first = next(self._lines, "")
        if not first.strip():
            raise FileProblem("le fichier est vide (pas même la ligne des noms de colonnes).")
        self.header = _header(first)

    def _decoded_lines(self) -> Iterator[str]:
        for number, raw in enumerate(self._buffered, start=1):
            try:
                # The BOM, when there is one, opens the first line only.
                yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as error:
                raise _encoding_problem(error, number) from None

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line, cells) of each row that is not blank. Lines are numbered as a spreadsheet
        numbers its rows (and frictionless its row_number): the header is 1, and a cell
        holding a line break does not shift the rows after it."""
        reader = csv.reader(self._lines, delimiter=self.header.delimiter)
        line = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise FileProblem(f"CSV illisible vers la ligne {line + 1} : {error}.") from None
            line += 1
            if any(cells):
                yield line, cells

    def finish(self) -> None:
        """Read what is left (so that the hash covers the whole file)."""
        while self._buffered.read(BUFFER):
            pass

    @property
    def sha256(self) -> str:
        return self._hashing.sha256.hexdigest()

    @property
    def size(self) -> int:
        return self._hashing.size
