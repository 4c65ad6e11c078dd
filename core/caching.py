"""Whole-page cache for anonymous visitors, invalidated by any change to the directory.

Every cached page is keyed by a content version; any write to a record of the directory
(admin, seed, services) moves the version on, once it commits, so no page outlives a change.
The version lives in the shared cache ("default": Redis, or the database), so that every
process of every server sees it at once; the pages live in the "pages" cache. Keys also hold
the date, since "upcoming" changes at midnight, and the page's whole address, scheme and
host included: pages hold absolute addresses built from the request (language alternates,
structured data, feeds), so a request through another allowed host name never fixes them
for the visitors of the canonical one. Responses carry an ETag derived from the same key,
so that browsers and proxies revalidate with a cheap 304.

A cache outage is not an outage of the site: pages are then served uncached (one warning
logged). A copy of each page is also kept by address for a day, served while the database
is unreachable (stale-if-error, see core.outage).
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, transaction
from django.http import HttpResponseNotModified
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control

logger = logging.getLogger(__name__)

VERSION_KEY = "essdir:content-version"
TRACKED_APPS = {"territories", "actors", "events"}
# How long a page is kept, by address, to be served while the database is unreachable.
STALE_SECONDS = 24 * 60 * 60
# One warning per outage and per process, not one per request.
_WARN_EVERY = 60.0
_last_warning = 0.0


def _warn(what: str, error: Exception) -> None:
    global _last_warning
    if isinstance(error, DatabaseError):
        # The cache lives in the database: the outage middleware reports the outage.
        return
    now = time.monotonic()
    if now - _last_warning >= _WARN_EVERY:
        _last_warning = now
        logger.warning("Cache unavailable (%s): %s; pages are served uncached.", what, error)


def _safely(what: str, operation, default=None):
    """Run a cache operation; an outage of the cache gives `default`, never an error page."""
    try:
        return operation()
    except Exception as error:  # any backend's connection error: the site goes on uncached
        _warn(what, error)
        return default


def content_version() -> str | None:
    """The current content version, or None when the shared cache cannot be reached."""
    shared = caches["default"]

    def read():
        version = shared.get(VERSION_KEY)
        if version is None:
            shared.add(VERSION_KEY, uuid.uuid4().hex, None)
            version = shared.get(VERSION_KEY)
        return version

    return _safely("version", read)


# What memoize_by_content() keeps in this process: key -> (content version, value).
_memo: dict = {}


def memoize_by_content(key, build, version: str | None):
    """`build()`, kept in this process while the directory's content `version` (read by the
    caller with content_version(), once for all its keys) stays the same.

    For values every request needs and only a write to the directory can change, such as
    the option lists of the filter forms. Without a version (shared cache unreachable), it
    builds every time.
    """
    if version is None:
        return build()
    kept = _memo.get(key)
    if kept is not None and kept[0] == version:
        return kept[1]
    value = build()
    _memo[key] = (version, value)
    return value


def _new_version() -> None:
    # A fresh random token, never a counter: a version key lost to eviction or a restart can
    # never come back to a value that older cached pages were stored under.
    _safely("version", lambda: caches["default"].set(VERSION_KEY, uuid.uuid4().hex, None))


def bump_content_version() -> None:
    """Make every cached page stale once the current transaction commits.

    Not before: a request reading between the bump and the commit would cache the old
    page under the new version, and its ETag would then answer 304 with stale content.
    Outside a transaction, at once.
    """
    transaction.on_commit(_new_version)


def on_change(sender, **kwargs) -> None:
    """Signal receiver: a record of the directory changed (infrastructure, not business)."""
    if getattr(sender, "_meta", None) and sender._meta.app_label in TRACKED_APPS:
        bump_content_version()


def page_address(request) -> str:
    """The request's whole address (scheme, host, path and query): what a cached page is
    kept under. Only for requests whose host passed ALLOWED_HOSTS (core.hosts)."""
    return request.build_absolute_uri()


def stale_key(address: str) -> str:
    return "essdir:stale:" + hashlib.sha256(address.encode()).hexdigest()[:32]


def stale_page(request):
    """The last page served at the request's address, if kept, whatever has changed since."""
    address = page_address(request)
    return _safely("stale page", lambda: caches["pages"].get(stale_key(address)))


def _store(key: str, address: str, response, seconds: int) -> None:
    pages = caches["pages"]
    _safely("store", lambda: pages.set(key, response, seconds))
    _safely("store", lambda: pages.set(stale_key(address), response, STALE_SECONDS))


class PublicPageCacheMixin:
    """Cache the page for anonymous GETs; answer 304 when the visitor's copy is current."""

    def dispatch(self, request, *args, **kwargs):
        seconds = settings.CACHE_MIDDLEWARE_SECONDS
        if request.method not in ("GET", "HEAD") or seconds <= 0 or request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        version = content_version()
        if version is None:
            return super().dispatch(request, *args, **kwargs)
        address = page_address(request)
        # The language is in the path (/en/…) today; keyed explicitly all the same, so that
        # a page can never be served in the other language whatever decides it.
        language = translation.get_language()
        digest = hashlib.sha256(
            f"{version}:{timezone.localdate()}:{language}:{address}".encode()
        ).hexdigest()
        etag = f'"{digest[:32]}"'
        if request.headers.get("If-None-Match") == etag:
            response = HttpResponseNotModified()
            response["ETag"] = etag
            return response
        key = f"essdir:page:{digest[:32]}"
        cached = _safely("read", lambda: caches["pages"].get(key))
        if cached is not None:
            return cached
        response = super().dispatch(request, *args, **kwargs)
        if response.status_code != 200 or response.streaming:
            return response
        response["ETag"] = etag
        patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
        if hasattr(response, "add_post_render_callback") and not response.is_rendered:
            response.add_post_render_callback(lambda done: _store(key, address, done, seconds))
        else:
            _store(key, address, response, seconds)
        return response
