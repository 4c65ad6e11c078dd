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
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.views import View

from core.views import invalid_parameters

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


def csv_lines(export: Export, records: Iterable, base_url: str) -> Iterator[str]:
    writer = csv.DictWriter(_Echo(), fieldnames=export.column_names, extrasaction="raise")
    yield writer.writeheader()
    for record in records:
        yield writer.writerow(_cells(export.row(record, base_url)))


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


def json_chunks(export: Export, records: Iterable, base_url: str) -> Iterator[str]:
    yield "["
    separator = "\n"
    for record in records:
        yield separator + json.dumps(export.row(record, base_url), ensure_ascii=False)
        separator = ",\n"
    yield "\n]\n"


class ExportView(View):
    """`<list>/export.csv` and `.json`: the list's FilterSet, every matching row, streamed."""

    filterset_class = None
    export: Export = None
    file_format = "csv"

    def get_queryset(self):
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        filterset = self.filterset_class(request.GET, queryset=self.get_queryset(), request=request)
        if filterset.errors:
            return HttpResponse(
                invalid_parameters(filterset),
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        records = filterset.qs.iterator(chunk_size=CHUNK)
        base_url = request.build_absolute_uri("/").rstrip("/")
        today = timezone.localdate().isoformat()
        if self.file_format == "json":
            body = json_chunks(self.export, records, base_url)
            content_type = "application/json; charset=utf-8"
        else:
            body = csv_lines(self.export, records, base_url)
            content_type = "text/csv; charset=utf-8"
        response = StreamingHttpResponse(body, content_type=content_type)
        filename = f"essdir-{self.export.name}-{today}.{self.file_format}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Link"] = f'<{LICENCE_URL}>; rel="license"'
        response["X-Licence"] = LICENCE_NAME
        response["X-Schema"] = self.export.schema
        response["Last-Modified"] = timezone.now().strftime("%a, %d %b %Y %H:%M:%S GMT")
        return response
