"""`<list>/export.csv` and `.json`: a list's export (core/exports.py), streamed.

A streamed export has to end within the server's timeout: a selection of more rows than
EXPORT_STREAM_MAX_ROWS is refused before anything is written (the whole dataset is a
prebuilt national file, core/downloads.py), and an error once rows are streamed aborts the
response rather than ending a truncated file as a well-formed one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.utils import timezone
from django.views import View

from core import downloads
from core.exports import CHUNK, LICENCE_URL, Export, export_text
from core.views import invalid_parameters

logger = logging.getLogger(__name__)


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
