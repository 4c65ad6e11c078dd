"""Whole-page cache for anonymous visitors, invalidated by any change to the directory.

Every cached page is keyed by a content version; any write to a record of the directory
(admin, seed, services) moves the version on, so no page outlives a change. Keys also hold
the date, since "upcoming" changes at midnight. Responses carry an ETag derived from the
same key, so that browsers and proxies revalidate with a cheap 304.
"""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import patch_cache_control

VERSION_KEY = "essdir:content-version"
TRACKED_APPS = {"territories", "actors", "events"}


def content_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY)
    return version


def _new_version() -> None:
    # A fresh random token, never a counter: a version key lost to eviction or a restart can
    # never come back to a value that older cached pages were stored under.
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


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


class PublicPageCacheMixin:
    """Cache the page for anonymous GETs; answer 304 when the visitor's copy is current."""

    def dispatch(self, request, *args, **kwargs):
        seconds = settings.CACHE_MIDDLEWARE_SECONDS
        if request.method not in ("GET", "HEAD") or seconds <= 0 or request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        identity = f"{content_version()}:{timezone.localdate()}:{request.get_full_path()}"
        digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
        etag = f'"{digest}"'
        if request.headers.get("If-None-Match") == etag:
            response = HttpResponseNotModified()
            response["ETag"] = etag
            return response
        key = f"essdir:page:{digest}"
        cached = cache.get(key)
        if cached is not None:
            return cached
        response = super().dispatch(request, *args, **kwargs)
        if response.status_code != 200 or response.streaming:
            return response
        response["ETag"] = etag
        patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
        if hasattr(response, "add_post_render_callback") and not response.is_rendered:
            response.add_post_render_callback(lambda rendered: cache.set(key, rendered, seconds))
        else:
            cache.set(key, response, seconds)
        return response
