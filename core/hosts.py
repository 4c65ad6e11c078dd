"""A request for a Host that is not ours: 400, the plain page, one warning in the logs.

Django raises DisallowedHost wherever the host is first read (the HTTPS redirect, the
common middleware…), logs it as an error with its traceback, and then renders the 400 page,
whose language links need the host again: a second DisallowedHost, and a 500. Scanners and
misdirected clients send such requests all day; they are not errors of the site. This
middleware, the first of all, checks the host before anything reads it.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpResponseBadRequest
from django.template.loader import render_to_string
from django.utils import translation

# Django's own logger for it, so that logging configured for it keeps working.
logger = logging.getLogger("django.security.DisallowedHost")


class AllowedHostMiddleware:
    """Answers a Host not in ALLOWED_HOSTS before any other middleware reads it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            request.get_host()
        except DisallowedHost as error:
            return refused(request, error)
        return self.get_response(request)


def refused(request, error: DisallowedHost) -> HttpResponseBadRequest:
    """The 400 page, in the language of the address (French, English under /en/), with no
    address built from the host (essdir.languages gives no alternates for such a request)."""
    logger.warning("%s", error, extra={"status_code": 400, "request": request})
    language = translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
    with translation.override(language):
        body = render_to_string("400.html", request=request)
    response = HttpResponseBadRequest(body, content_type="text/html; charset=utf-8")
    # The middleware that would add these never runs for this request.
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Frame-Options"] = "DENY"
    response["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'none'"
    # Logged once, above: not again by Django as "Bad Request".
    response._has_been_logged = True
    return response
