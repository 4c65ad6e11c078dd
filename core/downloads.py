"""Complete national files, prebuilt: where they live, how one is written, and how they are
served (`/donnees/telechargements/<dataset>.<csv|json>.gz`).

A streamed export has to end within the server's timeout (gunicorn's 30 s), so a national
one would be cut off; instead `build_downloads` (essdir/downloads.py) writes every dataset
once, gzip-compressed, into DOWNLOADS_ROOT, and the site serves the files as they are.

- A file is written to a temporary file beside its final place and renamed (os.replace)
  only once complete; its stored name holds the start of its SHA-256 (`acteurs.csv.<sha>.gz`),
  so a file never changes under a name. The manifest (`manifest.json`, replaced the same
  way) is the one switch: it names each public file's current stored file with its rows,
  bytes, sha256, date and schema. A reader reads the manifest, then opens the file it names:
  it always gets a complete file with the facts that describe it. A build that fails leaves
  the manifest, hence the previous file, as they were.
- One build at a time: an exclusive lock (flock) on `.build.lock`; a second build waits for
  the first (its data may be newer) or, asked not to wait, gives up at once.
- The view answers with the file's size, date and checksum (Content-Length,
  Last-Modified, ETag = the SHA-256), 304 to a conditional request that still holds, and
  404 to any name the manifest does not list (no path is built from the request).
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import fcntl
import gzip
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.views import View

from core.exports import LICENCE_NAME, LICENCE_URL, TEXTS

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
LOCK = ".build.lock"
TMP_SUFFIX = ".tmp"
FORMATS = ("csv", "json")
# A public name: `acteurs.csv.gz`. Anything else is not a download.
PUBLIC_NAME = re.compile(r"(?P<dataset>[a-z][a-z0-9-]{0,40})\.(?P<format>csv|json)\.gz")
# A stored name, as build writes it: `acteurs.csv.<16 hex digits>.gz`.
STORED_NAME = re.compile(r"[a-z][a-z0-9-]{0,40}\.(csv|json)\.[0-9a-f]{16}\.gz")
MEDIA_TYPES = {"csv": "text/csv", "json": "application/json"}
# Browsers and proxies keep a file an hour, then revalidate (ETag, Last-Modified: a 304).
MAX_AGE = 60 * 60


def root() -> Path:
    return Path(settings.DOWNLOADS_ROOT)


def public_name(dataset: str, file_format: str) -> str:
    return f"{dataset}.{file_format}.gz"


def url(dataset: str, file_format: str) -> str:
    """The path of a national file (French, unprefixed: a file has no language)."""
    return reverse("download", kwargs={"name": public_name(dataset, file_format)})


@dataclass(frozen=True)
class BuiltFile:
    """One national file as the manifest describes it."""

    dataset: str
    format: str
    rows: int
    bytes: int
    sha256: str
    built_at: datetime.datetime
    schema: str
    file: str  # the stored file's name in DOWNLOADS_ROOT
    # The export's licence and whom to credit (core.exports.Export): others' data.
    licence: str = LICENCE_NAME
    attribution: str = ""

    @property
    def name(self) -> str:
        return public_name(self.dataset, self.format)

    @property
    def path(self) -> Path:
        return root() / self.file

    @property
    def url(self) -> str:
        return url(self.dataset, self.format)

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    @property
    def download_name(self) -> str:
        return f"essdir-{self.dataset}-{self.built_at.date().isoformat()}.{self.format}.gz"

    def as_json(self) -> dict:
        facts = asdict(self)
        facts["built_at"] = self.built_at.isoformat()
        return facts

    @classmethod
    def from_json(cls, facts: dict) -> BuiltFile:
        built_at = datetime.datetime.fromisoformat(facts["built_at"])
        if not STORED_NAME.fullmatch(facts["file"]):
            raise ValueError(f"not a stored file name: {facts['file']!r}")
        return cls(**{**facts, "built_at": built_at})


def read_manifest() -> dict[str, BuiltFile]:
    """The national files built so far, by public name; none when nothing was built yet (or
    the manifest cannot be read, which is logged)."""
    try:
        text = (root() / MANIFEST).read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        files = json.loads(text)["files"]
        return {name: BuiltFile.from_json(facts) for name, facts in files.items()}
    except (ValueError, KeyError, TypeError) as error:
        logger.error("Unreadable downloads manifest %s: %s", root() / MANIFEST, error)
        return {}


def built_file(dataset: str, file_format: str) -> BuiltFile | None:
    return read_manifest().get(public_name(dataset, file_format))


# --- Writing (under the lock: see build_lock) -------------------------------------------------


class BuildInProgress(Exception):
    """Another build holds the lock, and this one was asked not to wait."""


@contextlib.contextmanager
def build_lock(wait: bool = True) -> Iterator[None]:
    """Hold the builders' exclusive lock (flock: between processes, and between threads
    that each open the file). Waits for a build in progress, or raises BuildInProgress at
    once when `wait` is false. Files a killed build left half-written are removed once
    the lock is held: no build is writing them."""
    folder = root()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK, "a+b") as lock:
        flags = fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB
        try:
            fcntl.flock(lock.fileno(), flags)
        except OSError as error:
            if error.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise BuildInProgress(str(folder)) from error
            raise
        try:
            for orphan in folder.glob(f"*{TMP_SUFFIX}"):
                orphan.unlink(missing_ok=True)
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


class _Hashing:
    """The raw file under the gzip stream: counts and hashes the bytes written."""

    def __init__(self, file):
        self.file = file
        self.sha256 = hashlib.sha256()
        self.bytes = 0

    def write(self, data) -> int:
        self.sha256.update(data)
        self.bytes += len(data)
        return self.file.write(data)

    def flush(self) -> None:
        self.file.flush()


class _Output:
    """One national file being written: gzip-compressed into a temporary file beside its
    final place. The gzip header holds no date: the same rows give the same bytes, hence
    the same ETag."""

    # Pieces are gathered up to this size before they reach the compressor.
    BUFFER = 256 * 1024

    def __init__(self, dataset: str, file_format: str):
        self.dataset, self.format = dataset, file_format
        handle, self.temporary = tempfile.mkstemp(
            prefix=f".{public_name(dataset, file_format)}.", suffix=TMP_SUFFIX, dir=root()
        )
        self.raw = os.fdopen(handle, "wb")
        self.hashing = _Hashing(self.raw)
        self.compressed = gzip.GzipFile(filename="", mode="wb", fileobj=self.hashing, mtime=0)
        self.pending: list[str] = []
        self.size = 0

    def write(self, piece: str) -> None:
        self.pending.append(piece)
        self.size += len(piece)
        if self.size >= self.BUFFER:
            self._flush()

    def _flush(self) -> None:
        self.compressed.write("".join(self.pending).encode("utf-8"))
        self.pending, self.size = [], 0

    def finish(self) -> tuple[str, str, int]:
        """Close and sync the file, then give it its stored name (os.replace): (stored
        name, sha256, bytes)."""
        self._flush()
        self.compressed.close()
        self.raw.flush()
        os.fsync(self.raw.fileno())
        self.raw.close()
        sha256 = self.hashing.sha256.hexdigest()
        stored = f"{self.dataset}.{self.format}.{sha256[:16]}.gz"
        os.chmod(self.temporary, 0o644)
        os.replace(self.temporary, root() / stored)
        return stored, sha256, self.hashing.bytes

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.compressed.close()
        with contextlib.suppress(Exception):
            self.raw.close()
        Path(self.temporary).unlink(missing_ok=True)


def write_files(export, records: Iterable, base_url: str, formats=FORMATS) -> list[BuiltFile]:
    """Write the national files of `export` (core.exports.Export) in every format at once,
    in one pass over `records` (so the CSV and the JSON hold the same rows), then name them
    in the manifest. Call under build_lock(). On any error the temporary files are removed
    and the manifest is left as it was, and so are the previous files."""
    outputs, texts = [], []
    rows = 0
    try:
        for file_format in formats:
            outputs.append(_Output(export.name, file_format))
            texts.append(TEXTS[file_format](export))
        for output, text in zip(outputs, texts, strict=True):
            output.write(text.start())
        for item in records:
            row = export.row(item, base_url)
            rows += 1
            for output, text in zip(outputs, texts, strict=True):
                output.write(text.row(row))
        for output, text in zip(outputs, texts, strict=True):
            output.write(text.end())
        stored = [output.finish() for output in outputs]
    except BaseException:
        for output in outputs:
            output.abort()
        raise
    built_at = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    built = [
        BuiltFile(
            dataset=export.name,
            format=output.format,
            rows=rows,
            bytes=size,
            sha256=sha256,
            built_at=built_at,
            schema=export.schema,
            file=name,
            licence=export.licence,
            attribution=export.attribution,
        )
        for output, (name, sha256, size) in zip(outputs, stored, strict=True)
    ]
    record(*built)
    return built


def record(*built: BuiltFile) -> None:
    """Name `built` in the manifest (replaced atomically), then remove the stored files the
    manifest no longer names. A reader that read the previous manifest just before and
    finds its file gone reads the manifest again (DownloadView)."""
    folder = root()
    files = read_manifest()
    files.update((file.name, file) for file in built)
    _write_json(folder / MANIFEST, {"files": {name: f.as_json() for name, f in files.items()}})
    kept = {f.file for f in files.values()}
    for stored in folder.iterdir():
        if STORED_NAME.fullmatch(stored.name) and stored.name not in kept:
            stored.unlink(missing_ok=True)


def _write_json(path: Path, value: dict) -> None:
    handle, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(value, file, ensure_ascii=False, indent=2)
            file.write("\n")
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- Serving ----------------------------------------------------------------------------------


class DownloadView(View):
    """`/donnees/telechargements/<dataset>.<csv|json>.gz`: a national file as built, served
    as a gzip file (application/gzip, as open-data portals do) with its size, date and
    checksum; 304 when the client's copy is current; HEAD gives the headers alone."""

    http_method_names = ["get", "head", "options"]

    def get(self, request, name: str):
        match = PUBLIC_NAME.fullmatch(name)
        if match is None:
            raise Http404("Unknown download")
        for _attempt in range(2):
            built = read_manifest().get(name)
            if built is None:
                raise Http404("Not built")
            # The file the manifest names, or a newer manifest: a build may have replaced it.
            conditional = self._conditional(request, built)
            if conditional is not None:
                return conditional
            if request.method == "HEAD":
                response = HttpResponse(content_type="application/gzip")
                self._describe(response, built)
                response["Content-Length"] = str(built.bytes)
                return response
            try:
                file = open(built.path, "rb")  # noqa: SIM115 (FileResponse closes it)
            except FileNotFoundError:
                continue
            response = FileResponse(
                file,
                content_type="application/gzip",
                as_attachment=True,
                filename=built.download_name,
            )
            self._describe(response, built)
            return response
        raise Http404("Not built")

    head = get

    @staticmethod
    def _conditional(request, built: BuiltFile):
        # Django's rules (RFC 9110): If-None-Match first, If-Modified-Since without it.
        not_modified = get_conditional_response(
            request,
            etag=f'"{built.sha256}"',
            last_modified=int(built.built_at.timestamp()),
        )
        if not_modified is not None:
            DownloadView._describe(not_modified, built, validators_only=True)
        return not_modified

    @staticmethod
    def _describe(response, built: BuiltFile, validators_only: bool = False) -> None:
        response["ETag"] = f'"{built.sha256}"'
        response["Last-Modified"] = http_date(built.built_at.timestamp())
        patch_cache_control(response, public=True, max_age=MAX_AGE)
        if validators_only:
            return
        response["Content-Disposition"] = f'attachment; filename="{built.download_name}"'
        response["Link"] = f'<{LICENCE_URL}>; rel="license"'
        response["X-Licence"] = built.licence
        if built.attribution:
            response["X-Attribution"] = built.attribution
        response["X-Schema"] = built.schema
        response["X-Rows"] = str(built.rows)
