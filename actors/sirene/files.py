"""Opening INSEE's files, zip or plain CSV, as text lines behind their parsed header; the
prefilter that drops unwanted records before any CSV parsing; and SireneFormatError, what
an unreadable file raises."""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Container, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

STREAM_ERRORS = (UnicodeDecodeError, zipfile.BadZipFile, EOFError, zlib.error)
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


class SireneFormatError(Exception):
    """The file cannot be read as the expected SIRENE file; the message is in French."""

    def __init__(self, message: str, *, file_name: str, line: int | None = None):
        super().__init__(message)
        self.file_name = file_name
        self.line = line


class Source:
    """An opened SIRENE file: its name, delimiter, header and remaining text lines."""

    def __init__(self, name: str, what: str, lines: Iterator[str], header_line: str):
        self.name = name
        self.what = what
        self.lines = lines
        # INSEE's stocks are ","-separated, the geolocation file ";"-separated.
        self.delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
        header = next(csv.reader([header_line], delimiter=self.delimiter))
        self.header = [column.strip().lstrip("\ufeff") for column in header]

    def columns(self, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, int]:
        """Index of each required column (missing ones raise) and of the optional present."""
        positions = {column: index for index, column in enumerate(self.header)}
        missing = [column for column in required if column not in positions]
        if missing:
            raise SireneFormatError(
                f"Le fichier {self.name} n'est pas {self.what} : "
                f"colonnes manquantes : {', '.join(missing)}.",
                file_name=self.name,
            )
        return {
            column: positions[column] for column in (*required, *optional) if column in positions
        }

    def stream_error(self, error: Exception, *, lines_read: int) -> SireneFormatError:
        """The SireneFormatError for a failure while reading, after `lines_read` lines."""
        return _stream_error(self.name, error, lines_read)


@contextmanager
def open_source(path: str | Path, what: str) -> Iterator[Source]:
    """Open a SIRENE file, zip or plain CSV, as text lines; read and parse its header."""
    path = Path(path)
    name = path.name
    with ExitStack() as stack:
        try:
            with path.open("rb") as probe:
                magic = probe.read(4)
            if magic in _ZIP_MAGIC or path.suffix.lower() == ".zip":
                archive = stack.enter_context(zipfile.ZipFile(path))
                members = [info for info in archive.infolist() if not info.is_dir()]
                csv_members = [m for m in members if m.filename.lower().endswith(".csv")]
                if len(csv_members) != 1:
                    raise SireneFormatError(
                        f"L'archive {name} doit contenir un seul fichier CSV ; "
                        f"elle en contient {len(csv_members)}.",
                        file_name=name,
                    )
                raw = stack.enter_context(archive.open(csv_members[0]))
                text = stack.enter_context(io.TextIOWrapper(raw, encoding="utf-8", newline=""))
            else:
                text = stack.enter_context(path.open(encoding="utf-8", newline=""))
            header_line = next(text, None)
        except STREAM_ERRORS as error:
            raise _stream_error(name, error, 0) from error
        if not header_line or not header_line.strip():
            raise SireneFormatError(f"Le fichier {name} est vide.", file_name=name)
        yield Source(name, what, text, header_line)


def _stream_error(name: str, error: Exception, lines_read: int) -> SireneFormatError:
    line = lines_read + 1
    if isinstance(error, UnicodeDecodeError):
        # The failing chunk starts on the line being read: count its lines up to the byte.
        if isinstance(error.object, bytes | bytearray):
            line += error.object.count(b"\n", 0, error.start)
        return SireneFormatError(
            f"Le fichier {name} n'est pas encodé en UTF-8 (octet invalide à la ligne {line}).",
            file_name=name,
            line=line,
        )
    return SireneFormatError(
        f"Le fichier {name} est une archive zip tronquée ou corrompue "
        f"(lecture interrompue à la ligne {line}).",
        file_name=name,
        line=line,
    )


class Cursor:
    """Where the prefilter is: physical line number, and records it dropped unparsed."""

    __slots__ = ("dropped", "line")

    def __init__(self):
        self.line = 1  # the header
        self.dropped = 0


def prefilter(
    lines: Iterator[str],
    cursor: Cursor,
    *,
    name: str,
    wanted: Container[str] | None,
    key_length: int,
) -> Iterator[str]:
    """Yield the physical lines worth parsing, counting lines and the records dropped.

    A record is dropped, unparsed, when its first `key_length` characters are not in
    `wanted` (None: keep all). A line opening with a quote is always passed on, and the
    CSV stage checks every row again, so the prefilter only ever saves work. A record
    spanning several lines (an odd number of quotes leaves a field open) is passed on or
    dropped whole. Read failures become SireneFormatError with the line reached.
    """
    number = cursor.line
    dropped = 0
    keeping = False
    open_quote = False
    try:
        if wanted is None:
            for line in lines:
                number += 1
                cursor.line = number
                yield line
            return
        for line in lines:
            number += 1
            if open_quote:
                if keeping:
                    cursor.line = number
                    yield line
                if line.count('"') & 1:
                    open_quote = False
                continue
            if line[:key_length] in wanted or line.startswith('"'):
                keeping = True
                cursor.line = number
                cursor.dropped = dropped
                yield line
            else:
                keeping = False
                dropped += 1
            if '"' in line and line.count('"') & 1:
                open_quote = True
    except STREAM_ERRORS as error:
        raise _stream_error(name, error, number) from error
    finally:
        cursor.line = number
        cursor.dropped = dropped
