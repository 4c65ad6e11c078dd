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

A streamed export has to end within the server's timeout: a selection of more rows than
EXPORT_STREAM_MAX_ROWS is refused before anything is written (the whole dataset is a
prebuilt national file, core/downloads.py), and an error once rows are streamed aborts the
response rather than ending a truncated file as a well-formed one.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.utils import timezone
from django.views import View

from core.views import invalid_parameters

logger = logging.getLogger(__name__)

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


def bounded_count(queryset, bound: int) -> int:
    """How many rows `queryset` holds, counting no further than `bound + 1`: enough to
    tell whether it holds more than `bound`, at the cost of `bound` rows at most (no
    ordering: the number of rows a LIMIT keeps does not depend on it)."""
    return queryset.order_by()[: bound + 1].count()


def _aborting(chunks: Iterator[str], name: str) -> Iterator[str]:
    """The streamed body. An error after the headers were sent cannot change the status
    any more: it is logged and raised again, so that the server aborts the response (the
    chunked body never gets its last chunk) instead of ending a truncated file well."""
    try:
        yield from chunks
    except Exception:
        logger.exception("Export %s failed while streaming: the response is aborted.", name)
        raise


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", "\u202f")


class ExportView(View):
    """`<list>/export.csv` and `.json`: the list's FilterSet, every matching row, streamed.

    Within what one request may take: a selection of more than EXPORT_STREAM_MAX_ROWS rows
    is not streamed (it would be cut off by the server's timeout). The whole dataset is
    then the national file: a request selecting everything is redirected to it (303), or
    answered 503 while it has not been built yet; a filtered one gets a 400 that says so
    and links to it."""

    filterset_class = None
    export: Export = None
    file_format = "csv"

    def get_queryset(self):
        raise NotImplementedError

    def filter(self, params, request=None):
        """The list's FilterSet over the exported records, bound to `params`."""
        return self.filterset_class(params, queryset=self.get_queryset(), request=request)

    def get(self, request, *args, **kwargs):
        filterset = self.filter(request.GET, request)
        if filterset.errors:
            return _text(invalid_parameters(filterset), status=400)
        bound = settings.EXPORT_STREAM_MAX_ROWS
        if bounded_count(filterset.qs, bound) > bound:
            return self.too_large(request, filterset, bound)
        records = filterset.qs.iterator(chunk_size=CHUNK)
        base_url = request.build_absolute_uri("/").rstrip("/")
        today = timezone.localdate().isoformat()
        body = _aborting(
            export_text(self.export, self.file_format, records, base_url), self.export.name
        )
        content_type = (
            "application/json; charset=utf-8"
            if self.file_format == "json"
            else "text/csv; charset=utf-8"
        )
        response = StreamingHttpResponse(body, content_type=content_type)
        filename = f"essdir-{self.export.name}-{today}.{self.file_format}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Link"] = f'<{LICENCE_URL}>; rel="license"'
        response["X-Licence"] = self.export.licence
        if self.export.attribution:
            response["X-Attribution"] = self.export.attribution
        response["X-Schema"] = self.export.schema
        response["Last-Modified"] = timezone.now().strftime("%a, %d %b %Y %H:%M:%S GMT")
        return response

    def selects_everything(self, filterset) -> bool:
        """Whether the request asks for the whole dataset, the national file's selection
        (no filter; the agenda's `periode=tous`)."""
        given = {
            name: value
            for name, value in filterset.data.items()
            if name in filterset.base_filters and value not in ("", None)
        }
        return given == dict(self.export.everything)

    def too_large(self, request, filterset, bound: int):
        from core import downloads  # the national files' store, which writes with this module

        name, file_format = self.export.name, self.file_format
        built = downloads.built_file(name, file_format)
        file_url = request.build_absolute_uri(downloads.url(name, file_format))
        if self.selects_everything(filterset):
            if built is not None:
                response = HttpResponseRedirect(downloads.url(name, file_format))
                response.status_code = 303  # See Other: the same rows, as a file
                return response
            response = _text(
                f"Le fichier national complet ({name}.{file_format}.gz, plus de "
                f"{_thousands(bound)} lignes) n'est pas encore prêt : réessayez plus tard, ou "
                f"filtrez la liste (par territoire, par thème…) pour un export en direct.",
                status=503,
            )
            response["Retry-After"] = "3600"
            return response
        return _text(
            f"Cet export compte plus de {_thousands(bound)} lignes : un export en direct n'en "
            f"écrit pas autant dans le temps d'une requête. Affinez les filtres, ou "
            f"téléchargez le fichier national complet (toutes les lignes, compressé en gzip) : "
            f"{file_url}"
            + ("" if built is not None else " (en préparation : réessayez plus tard)"),
            status=400,
        )


def _text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
