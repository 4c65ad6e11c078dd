"""Whole-page cache for anonymous visitors, invalidated by what each page shows.

A page declares the tags it depends on (`PublicPageCacheMixin.get_cache_tags()`): a family
of records ("actors", "territories"…), one record ("actors.actor:<slug>"), the records of
one territory ("actors@<territory id>")… Each tag has a version in the shared cache; a
page is kept under a key derived from its tags' versions, read in one round trip before
it is rendered, so that it is stored under the versions it was built from. A write moves
on, once it commits, the versions of its record's tags, before and after the change, and
of its family (on_change; the apps say which tags their records carry with
register_tags()), so that no page outlives a change to what it shows while the others stay
cached. A page that declares nothing depends on ANY, the version any write to the
directory moves on: it goes stale at every write, as when there was one version for the
whole site. One more version, moved by bump_content_version() with ANY, is part of every
other key: writers that cannot say what they touched (imports, the seed) make every page
stale.

The versions live in the shared cache ("default": Redis, or the database), so that every
process of every server sees them at once; the pages live in the "pages" cache. Keys also
hold the date, since "upcoming" changes at midnight, and the page's whole address, scheme
and host included: pages hold absolute addresses built from the request (language
alternates, structured data, feeds), so a request through another allowed host name never
fixes them for the visitors of the canonical one. Responses carry an ETag derived from the
same key, so that browsers and proxies revalidate with a cheap 304.

A cache outage is not an outage of the site: pages are then served uncached (one warning
logged). A copy of each page is also kept by address for a day, served while the database
is unreachable (stale-if-error, see core.outage).

core imports no app: the apps register their families (track()) and the tags of their
records (register_tags()) when they are ready; this module only keeps versions.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, transaction
from django.db.models.signals import m2m_changed, post_save
from django.http import HttpResponseNotModified
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control

logger = logging.getLogger(__name__)

# The tag of a page that declares nothing: any write to the directory moves it on. Its
# version is the one the whole site was keyed by before tags (the same key).
ANY = "*"
VERSION_KEY = "essdir:content-version"
# Part of the key of every page that declares its tags: bump_content_version() moves it.
EVERYTHING_KEY = "essdir:content-version:everything"
TAG_PREFIX = "essdir:tag:"
# How long a page is kept, by address, to be served while the database is unreachable.
STALE_SECONDS = 24 * 60 * 60
# One warning per outage and per process, not one per request.
_WARN_EVERY = 60.0
_last_warning = 0.0
# Pages served from the cache, and built, by this process (for the measures of bench/).
stats: Counter = Counter()
# Off, every page depends on ANY whatever it declares: the site as it was with one version
# for everything (bench's hit-rate measure compares the two).
PER_PAGE_TAGS = True

# The apps' families, by app label: a write to a model of a tracked app moves its family on.
_families: dict[str, str] = {}
# model -> [(after(instance), before(instance, update_fields) or None)]: register_tags().
_providers: dict[type, list[tuple[Callable, Callable | None]]] = {}


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


# --- The vocabulary, given by the apps ------------------------------------------------------


def track(app_label: str, family: str | None = None) -> None:
    """Writes to `app_label`'s models move `family` (the app label by default) on."""
    _families[app_label] = family or app_label


def families() -> tuple[str, ...]:
    """Every family the apps track."""
    return tuple(sorted(set(_families.values())))


def register_tags(
    model,
    after: Callable[[object], Iterable[str]],
    *,
    before: Callable[[object, Iterable[str] | None], Iterable[str]] | None = None,
) -> None:
    """Say which tags a write to a record of `model` touches besides its family.

    `after(instance)` gives them once the write committed (for an m2m `through` model, the
    record whose relation changed), reading what it needs from the database then: the
    record's page, the territories it is listed in, the other records whose pages show it.
    `before(instance, update_fields)`, for the tags that depend on the record's own fields
    (its slug, its territory), reads at pre_save what the record was and gives the tags it
    had then (nothing when `update_fields` leave those fields alone).
    """
    _providers.setdefault(model, []).append((after, before))


def tags_of(instance) -> set[str]:
    """The tags a write to `instance` touches, as the database now is (after the write)."""
    tags: set[str] = set()
    for after, _ in _providers.get(type(instance), ()):
        tags.update(after(instance))
    return tags


# --- Versions -------------------------------------------------------------------------------


def _key(tag: str) -> str:
    return VERSION_KEY if tag == ANY else TAG_PREFIX + tag


def _keys(tags: Iterable[str]) -> dict[str, str]:
    """The keys of the versions `tags` depend on: ANY alone covers every write (and
    bump_content_version()); other tags, with the version of everything."""
    tags = set(tags)
    if ANY in tags:
        return {VERSION_KEY: ANY}
    return {EVERYTHING_KEY: ""} | {_key(tag): tag for tag in tags}


def tag_versions(tags: Iterable[str]) -> dict[str, str] | None:
    """The current version of each tag (and of everything, under ""), read in one round trip;
    a tag never seen gets a fresh one. None when the shared cache cannot be reached."""
    keys = _keys(tags)
    shared = caches["default"]

    def read():
        found = shared.get_many(list(keys))
        missing = [key for key in keys if key not in found]
        if missing:
            for key in missing:
                shared.add(key, uuid.uuid4().hex, None)
            found |= shared.get_many(missing)
            if any(key not in found for key in missing):
                return None
        return {keys[key]: version for key, version in found.items()}

    return _safely("version", read)


def content_version(tags: Iterable[str] | None = None) -> str | None:
    """One token for the current versions of `tags` (by default ANY: any write): it changes
    whenever a write touches one of them. None when the shared cache cannot be reached."""
    versions = tag_versions((ANY,) if tags is None else tags)
    if versions is None:
        return None
    return hashlib.sha256(repr(sorted(versions.items())).encode()).hexdigest()[:32]


# What memoize_by_content() keeps in this process: key -> (content version, value). Keys
# may come from visitors' input (a territory typed in a filter): it is emptied when full.
_memo: dict = {}
MEMO_SIZE = 10_000


def memoize_by_content(key, build, version: str | None):
    """`build()`, kept in this process while the content `version` (read by the caller with
    content_version(tags) for the tags the value depends on, once for all its keys) stays
    the same.

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
    if len(_memo) >= MEMO_SIZE:
        _memo.clear()
    _memo[key] = (version, value)
    return value


def _new_versions(tags: Iterable[str]) -> None:
    # Fresh random tokens, never counters: a version key lost to eviction or a restart can
    # never come back to a value that older cached pages were stored under.
    values = {_key(tag): uuid.uuid4().hex for tag in {ANY, *tags}}
    _safely("version", lambda: caches["default"].set_many(values, None))


def bump_tags(tags: Iterable[str]) -> None:
    """Make the pages that depend on one of `tags` stale once the current transaction
    commits (outside a transaction, at once).

    Not before: a request reading between the bump and the commit would cache the old
    page under the new versions, and its ETag would then answer 304 with stale content.
    """
    tags = frozenset(tags)
    if tags:
        transaction.on_commit(lambda: _new_versions(tags))


def _new_version() -> None:
    values = {VERSION_KEY: uuid.uuid4().hex, EVERYTHING_KEY: uuid.uuid4().hex}
    _safely("version", lambda: caches["default"].set_many(values, None))


def bump_content_version() -> None:
    """Make every cached page stale once the current transaction commits: for writers that
    cannot say what they touched (imports, the seed). Outside a transaction, at once."""
    transaction.on_commit(_new_version)


# --- Signal receivers (infrastructure, not business; connected by essdir.apps) --------------


def _family(sender) -> str | None:
    meta = getattr(sender, "_meta", None)
    return _families.get(meta.app_label) if meta is not None else None


def before_change(sender, instance=None, raw=False, update_fields=None, **kwargs) -> None:
    """pre_save: the tags the record had before the write, for those that depend on it."""
    if raw or instance is None or instance.pk is None or _family(sender) is None:
        return
    tags: set[str] = set()
    for _, before in _providers.get(sender, ()):
        if before is not None:
            tags.update(before(instance, update_fields))
    if tags:
        instance._cache_tags_before = tags


def before_delete(sender, instance=None, **kwargs) -> None:
    """pre_delete: the tags of a record about to go, read while its relations are there."""
    if instance is not None and (family := _family(sender)) is not None:
        bump_tags({family} | tags_of(instance))


def _bump_once_committed(family: str, compute: Callable[[], Iterable[str]]) -> None:
    """Once the transaction commits, move on `family` and the tags `compute()` reads then
    (once, whatever the transaction wrote after: an actor's places refreshed after its
    save are read as they were committed). Should that read fail, every page goes stale."""

    def run():
        try:
            tags = set(compute())
        except Exception as error:
            logger.warning("Page cache: the tags of a write were not read (%s).", error)
            _new_version()
            return
        _new_versions({family} | tags)

    transaction.on_commit(run)


def on_change(sender, signal=None, instance=None, raw=False, **kwargs) -> None:
    """post_save, post_delete and m2m_changed: a record of the directory changed."""
    family = _family(sender)
    if family is None:
        return
    if signal is m2m_changed:
        _on_relation(sender, instance, family, **kwargs)
    elif signal is post_save and not raw and instance is not None:
        before = instance.__dict__.pop("_cache_tags_before", set())
        _bump_once_committed(family, lambda: before | tags_of(instance))
    else:  # post_delete: the record's own tags were read by before_delete
        bump_tags({family})


def _on_relation(sender, instance, family, *, action, model, pk_set, **kwargs) -> None:
    if action == "pre_clear":
        # Which records lose the relation is not said: every page goes stale.
        bump_content_version()
        return
    if action not in ("post_add", "post_remove"):
        return
    # The records on the other side keep their own family: what changed is the relation,
    # whose family (the through model's app) is moved on, with both sides' tags.
    others = set(pk_set or ())

    def compute():
        tags = tags_of(instance)
        for after, _ in _providers.get(sender, ()):
            tags.update(after(instance))
        if others and model in _providers:
            for other in model._base_manager.filter(pk__in=others):
                tags |= tags_of(other)
        return tags

    _bump_once_committed(family, compute)


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
    """Cache the page for anonymous GETs; answer 304 when the visitor's copy is current.

    `get_cache_tags()` says what the page shows: ANY (any write) unless a view says better.
    """

    def get_cache_tags(self) -> Iterable[str]:
        """The tags of what this page shows (called before rendering, after setup()): ANY
        by default, any write. A view that narrows it must name everything it shows, the
        option lists of its forms included."""
        return (ANY,)

    def dispatch(self, request, *args, **kwargs):
        seconds = settings.CACHE_MIDDLEWARE_SECONDS
        if request.method not in ("GET", "HEAD") or seconds <= 0 or request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        # Read before rendering: a write committed meanwhile moves a version on, and this
        # page is then stored under versions that no request asks for any more.
        tags = self.get_cache_tags() if PER_PAGE_TAGS else (ANY,)
        versions = tag_versions(tags)
        if versions is None:
            return super().dispatch(request, *args, **kwargs)
        address = page_address(request)
        # The language is in the path (/en/…) today; keyed explicitly all the same, so that
        # a page can never be served in the other language whatever decides it.
        language = translation.get_language()
        digest = hashlib.sha256(
            f"{sorted(versions.items())}:{timezone.localdate()}:{language}:{address}".encode()
        ).hexdigest()
        etag = f'"{digest[:32]}"'
        if request.headers.get("If-None-Match") == etag:
            stats["not modified"] += 1
            response = HttpResponseNotModified()
            response["ETag"] = etag
            return response
        key = f"essdir:page:{digest[:32]}"
        cached = _safely("read", lambda: caches["pages"].get(key))
        if cached is not None:
            stats["hit"] += 1
            return cached
        stats["miss"] += 1
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
