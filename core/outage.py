"""While the database is unreachable: cached pages from the cache, the others a plain 503.

An expected outage (a restart, a failover) is not an error of the site: it gets one warning
line in the logs, never a traceback; anonymous pages that were served before are served
again from the cache (stale-if-error), and everything else — writes included, which the
transaction rolled back — answers 503 with Retry-After and a short page (in French, or in
English under /en/). Once the database is back, the next request reconnects
(CONN_HEALTH_CHECKS).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation

from core.caching import stale_page

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
# Connection failures, not errors of our queries (which stay 500s and get fixed).
OUTAGE_ERRORS = (OperationalError, InterfaceError)


def is_outage(error: BaseException) -> bool:
    return isinstance(error, OUTAGE_ERRORS) or (
        isinstance(error, DatabaseError) and isinstance(error.__cause__, OUTAGE_ERRORS)
    )


def outage_response(request) -> HttpResponse:
    if request.method in ("GET", "HEAD") and (page := stale_page(request)):
        page["Warning"] = '110 - "Response is Stale"'
        return page
    # In the page's language, read from its address: the outage may strike before
    # LocaleMiddleware has run.
    language = translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
    with translation.override(language):
        body = render_to_string("503.html")
    response = HttpResponse(body, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    # Reported once, as a warning, by the middleware: not again as an error by Django.
    response._has_been_logged = True
    return response


class DatabaseOutageMiddleware:
    """Turns a database outage into stale pages or a 503 (see the module's docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        except OUTAGE_ERRORS as error:
            return self._outage(request, error)

    def process_exception(self, request, exception):
        if is_outage(exception):
            return self._outage(request, exception)
        return None

    def _outage(self, request, error) -> HttpResponse:
        response = outage_response(request)
        logger.warning(
            "Database unreachable (%s): %s %s answered %s.",
            str(error).splitlines()[0] if str(error) else type(error).__name__,
            request.method,
            request.path,
            response.status_code,
        )
        return response
