"""Exports of every list, with the list's own filters, streamed as CSV or JSON.

All matching rows, not a page: rows are read by chunks and written as they come, so memory
does not grow with their number. Each app declares its exports (columns and one function
turning a record into a row) next to its lists; the API's schemas are derived from these
columns (essdir/api.py).

Two rules hold for every export:
- only published records leave the site: a related record a row names (a network, a
  funder) is named only when the public may see it (`is_public`), in the exports, the API
  and the JSON-LD blocks alike;
- a CSV cell never starts a spreadsheet formula (`neutralised`); JSON is written as is.

The view that streams them (core/export_views.py) and the national files (core/downloads.py)
both write with this module, which imports neither.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

LICENCE_NAME = "Licence Ouverte 2.0 (Etalab)"
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
CHUNK = 2000


# The first characters that make a spreadsheet read a cell as a formula (OWASP, "CSV
# injection"): such a text cell is written after a single quote, which the spreadsheet
# shows as text and does not evaluate.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One column of an export: its name and the type of its value in a JSON row (`str`,
    `int | None`, `list[str]`, a dataclass…), from which the API's schema is derived."""

    name: str
    type: Any = str


def columns(**types) -> tuple[Column, ...]:
    """The columns of an export, in order: `columns(id=str, latitude=float | None, …)`."""
    return tuple(Column(name, value_type) for name, value_type in types.items())


@dataclass(frozen=True)
class Export:
    """One dataset: its file name, columns and how a record becomes a row."""

    name: str
    columns: tuple[Column, ...]
    row: Callable[[object, str], dict]
    # The schema the rows follow, named in the response ("dispositif-aide 0.2.0").
    schema: str
    # The query that selects every record, when the export's default does not (the
    # agenda's `periode=tous`: upcoming events only by default): the national file's rows.
    everything: tuple[tuple[str, str], ...] = ()
    # The licence named in the response (X-Licence, ASCII), and whom a reuser must credit
    # (X-Attribution), when the rows are others' data under their terms.
    licence: str = LICENCE_NAME
    attribution: str = ""

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]


def is_public(record) -> bool:
    """Whether the public may see `record`: published and, for a structure, not hidden by
    staff. A row (or a JSON-LD block) names a related record only when this holds."""
    return record.is_published and not getattr(record, "hidden", False)


class _Echo:
    """A file-like object whose write() returns the line for the streaming response."""

    def write(self, value: str) -> str:
        return value


class CsvText:
    """An export's CSV, piece by piece: the header, one line per row, nothing at the end."""

    def __init__(self, export: Export):
        self.writer = csv.DictWriter(_Echo(), fieldnames=export.column_names, extrasaction="raise")

    def start(self) -> str:
        return self.writer.writeheader()

    def row(self, row: dict) -> str:
        return self.writer.writerow(_cells(row))

    def end(self) -> str:
        return ""


class JsonText:
    """An export's JSON, piece by piece: `[`, one object per row, and the closing `]` only
    once every row is written (a stream cut short never ends as a well-formed array)."""

    def __init__(self, export: Export):
        self.separator = "\n"

    def start(self) -> str:
        return "["

    def row(self, row: dict) -> str:
        piece = self.separator + json.dumps(row, ensure_ascii=False)
        self.separator = ",\n"
        return piece

    def end(self) -> str:
        return "\n]\n"


TEXTS = {"csv": CsvText, "json": JsonText}


def export_text(export: Export, file_format: str, records: Iterable, base_url: str):
    """The export of `records` as CSV or JSON text, piece by piece (streamed or written to
    a national file, core/downloads.py). An error while reading the records propagates:
    the end of the file is never written after it."""
    text = TEXTS[file_format](export)
    yield text.start()
    for record in records:
        yield text.row(export.row(record, base_url))
    yield text.end()


def csv_lines(export: Export, records: Iterable, base_url: str) -> Iterator[str]:
    return export_text(export, "csv", records, base_url)


def json_chunks(export: Export, records: Iterable, base_url: str) -> Iterator[str]:
    return export_text(export, "json", records, base_url)


def _cells(row: dict) -> dict:
    # Lists and objects of the JSON form are written in CSV as JSON text (Table Schema's
    # "array" and "object" types read them back): it starts with [ or {.
    return {
        key: json.dumps(value, ensure_ascii=False)
        if isinstance(value, list | dict)
        else neutralised(value)
        for key, value in row.items()
    }


def neutralised(value):
    """A CSV cell that no spreadsheet reads as a formula: text starting with = + - @, a tab
    or a carriage return gets a leading single quote. Numbers (the columns typed `number`
    or `integer`: coordinates, counts, codes of the OpenAgenda fields) are not text and are
    written as they are, a negative one included; a text column keeps the rule whatever it
    holds ("+33 3 83…" is written "'+33 3 83…"). JSON is never altered."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
