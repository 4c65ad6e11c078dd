"""Downloading INSEE's stock files from their stable public address, for
`manage.py import_sirene --download`: only what changed, resumed when interrupted, checked
before anything is imported, and swapped in atomically.

- Address: `SIRENE_BASE_URL` (setting or environment variable), by default
  data.gouv.fr's stable location of the current stocks, where each month's files replace
  the previous ones under the same names; the geolocation file lives beside it, in
  ``insee-sirene-geo/`` (`SIRENE_GEOLOCATION_URL` to point elsewhere).
- Local copy: `SIRENE_DOWNLOAD_DIR` (default ``downloads/sirene`` in the project), with,
  beside each file, its validators (``<file>.json``: ETag, Last-Modified, size).
- Conditional requests (If-None-Match / If-Modified-Since): an unchanged file answers
  304 and nothing is downloaded.
- Resumable: the body goes to ``<file>.part``, with the validators of the answer it comes
  from (``<file>.part.json``); after a dropped connection, the next attempt (or the next
  run) asks for the rest (Range, with If-Range: a file changed meanwhile comes whole).
- Checked before use: the announced size, a zip archive (not an HTML page, not truncated:
  its directory, at the end, must be readable) holding one CSV whose header has the
  columns the reader needs. A bad answer is thrown away; the local copy stays.
- Atomic: the checked file replaces the local copy with os.replace(), then its
  validators are written.

Standard library only (urllib): nothing to install for a monthly cron.
"""

from __future__ import annotations

import fcntl
import http.client
import json
import os
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from django.conf import settings

from actors.sirene.files import SireneFormatError, open_source
from actors.sirene.reader import ESTABLISHMENT_COLUMNS, GEOLOCATION_COLUMNS, UNIT_COLUMNS
from actors.sirene.units import SireneImportError

DEFAULT_BASE_URL = "https://files.data.gouv.fr/insee-sirene/"
GEOLOCATION_FILE = "GeolocalisationEtablissement_Sirene_pour_etudes_statistiques_utf8.zip"
FILE_NAMES = {
    "units": "StockUniteLegale_utf8.zip",
    "establishments": "StockEtablissement_utf8.zip",
    "geolocation": GEOLOCATION_FILE,
}
_CHECKS = {
    "units": ("un stock SIRENE des unités légales", UNIT_COLUMNS),
    "establishments": ("un stock SIRENE des établissements", ESTABLISHMENT_COLUMNS),
    "geolocation": ("un fichier de géolocalisation SIRENE", GEOLOCATION_COLUMNS),
}
CHUNK = 1 << 20
_ZIP_MAGIC = b"PK\x03\x04"
# What a dropped or stalled connection raises while the body streams.
_INTERRUPTIONS = (http.client.IncompleteRead, ConnectionError, TimeoutError, socket.timeout)

Progress = Callable[[str, int, int | None], None]


class DownloadError(SireneImportError):
    """A stock file could not be downloaded or is not what it should be (in French)."""


class _Interrupted(Exception):
    """The body stopped before its end: what is written stays, to be resumed."""


def _setting(name: str, default: str) -> str:
    return getattr(settings, name, None) or os.environ.get(name) or default


def base_url() -> str:
    """Where the stocks are downloaded from (`SIRENE_BASE_URL`)."""
    url = _setting("SIRENE_BASE_URL", DEFAULT_BASE_URL)
    return url if url.endswith("/") else url + "/"


def file_url(role: str) -> str:
    """The address of the file `role` (units, establishments or geolocation)."""
    if role == "geolocation":
        # data.gouv.fr keeps it in a sibling folder of the stocks.
        return _setting(
            "SIRENE_GEOLOCATION_URL", urljoin(base_url(), f"../insee-sirene-geo/{GEOLOCATION_FILE}")
        )
    return urljoin(base_url(), FILE_NAMES[role])


def download_dir() -> Path:
    """Where the local copies are kept (`SIRENE_DOWNLOAD_DIR`)."""
    default = str(Path(settings.BASE_DIR) / "downloads" / "sirene")
    return Path(_setting("SIRENE_DOWNLOAD_DIR", default))


@dataclass
class Fetched:
    """One file after `fetch`: its local path, and whether a new copy came."""

    role: str
    path: Path
    changed: bool
    size: int


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _write_json(path: Path, data: dict) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=1))
    os.replace(temporary, path)


@contextmanager
def download_lock(directory: Path) -> Iterator[None]:
    """One download at a time in `directory` (two would write the same `.part`)."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DownloadError(
                f"Un téléchargement SIRENE est déjà en cours dans {directory}."
            ) from None
        yield


def fetch(
    role: str,
    *,
    directory: Path,
    progress: Progress | None = None,
    attempts: int = 3,
    timeout: float = 60,
) -> Fetched:
    """Bring the local copy of the file `role` up to date; returns it.

    Raises DownloadError when the server answers an error, when the connection dropped
    `attempts` times (the part downloaded stays for the next run), or when what came is
    not the expected file (thrown away; the local copy stays).
    """
    name = FILE_NAMES[role]
    url = file_url(role)
    final = directory / name
    part = directory / (name + ".part")
    for attempt in range(1, attempts + 1):
        try:
            return _attempt(role, url, final, part, progress, timeout)
        except _Interrupted as error:
            if attempt == attempts:
                raise DownloadError(
                    f"Téléchargement de {name} interrompu ({error}) après "
                    f"{part.stat().st_size if part.exists() else 0} octets : la prochaine "
                    "exécution reprendra là où il s'est arrêté."
                ) from error
            time.sleep(min(2**attempt, 30))
    raise AssertionError("unreachable")


def _attempt(role, url, final, part, progress, timeout) -> Fetched:
    name = final.name
    known = _read_json(final.with_name(name + ".json")) if final.exists() else {}
    partial = _read_json(part.with_name(part.name + ".json")) if part.exists() else {}
    headers = {"User-Agent": "essdir (import SIRENE)", "Accept-Encoding": "identity"}
    if known.get("etag"):
        headers["If-None-Match"] = known["etag"]
    if known.get("last_modified"):
        headers["If-Modified-Since"] = known["last_modified"]
    offset = part.stat().st_size if part.exists() else 0
    validator = partial.get("etag") or partial.get("last_modified")
    if offset and validator:
        headers["Range"] = f"bytes={offset}-"
        headers["If-Range"] = validator
    else:
        offset = 0
    try:
        response = urllib.request.urlopen(
            urllib.request.Request(url, headers=headers), timeout=timeout
        )
    except urllib.error.HTTPError as error:
        if error.code == 304:
            part.unlink(missing_ok=True)
            part.with_name(part.name + ".json").unlink(missing_ok=True)
            return Fetched(role, final, changed=False, size=final.stat().st_size)
        if error.code == 416 and offset:
            # The part is no prefix of the file any more: start again.
            part.unlink(missing_ok=True)
            raise _Interrupted("reprise refusée par le serveur") from error
        raise DownloadError(f"{url} : le serveur répond {error.code} {error.reason}.") from error
    except (urllib.error.URLError, *_INTERRUPTIONS) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, (ConnectionError, TimeoutError, socket.timeout)):
            raise _Interrupted(str(reason)) from error
        raise DownloadError(f"{url} : {reason}.") from error
    with response:
        total, offset = _expected_size(response, offset)
        validators = {
            "url": url,
            "etag": response.headers.get("ETag", ""),
            "last_modified": response.headers.get("Last-Modified", ""),
            "size": total,
        }
        content_type = response.headers.get("Content-Type", "")
        if offset == 0:
            first = _read(response, len(_ZIP_MAGIC))
            _check_start(name, url, first, content_type)
            part.with_name(part.name + ".json").unlink(missing_ok=True)
            with part.open("wb") as out:
                out.write(first)
            _write_json(part.with_name(part.name + ".json"), validators)
            received = len(first)
        else:
            received = offset
        with part.open("ab") as out:
            while True:
                chunk = _read(response, CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                received += len(chunk)
                if progress is not None:
                    progress(name, received, total)
    if total is not None and received < total:
        raise _Interrupted(f"{received} octets reçus sur {total}")
    _check_file(role, part, url)
    os.replace(part, final)
    _write_json(final.with_name(name + ".json"), validators | {"size": received})
    part.with_name(part.name + ".json").unlink(missing_ok=True)
    return Fetched(role, final, changed=True, size=received)


def download_stocks(
    *,
    geolocation: bool = False,
    directory: Path | None = None,
    progress: Progress | None = None,
    attempts: int | None = None,
) -> list[Fetched]:
    """Bring the local copies of the two stocks (and of the geolocation file when asked)
    up to date, one download at a time per directory; returns them in that order.

    `attempts` per file (default: the `SIRENE_DOWNLOAD_ATTEMPTS` setting, else 3).
    """
    directory = directory or download_dir()
    if attempts is None:
        attempts = int(_setting("SIRENE_DOWNLOAD_ATTEMPTS", "3"))
    roles = ["units", "establishments"] + (["geolocation"] if geolocation else [])
    with download_lock(directory):
        return [
            fetch(role, directory=directory, progress=progress, attempts=attempts) for role in roles
        ]


def _read(response, size: int) -> bytes:
    try:
        return response.read(size)
    except _INTERRUPTIONS as error:
        raise _Interrupted(str(error) or type(error).__name__) from error


def _expected_size(response, offset: int) -> tuple[int | None, int]:
    """(the whole file's size if announced, where this body starts)."""
    if response.status == 206:
        match = re.fullmatch(r"bytes (\d+)-\d+/(\d+|\*)", response.headers.get("Content-Range", ""))
        if not match or int(match[1]) != offset:
            raise _Interrupted("reprise mal comprise par le serveur")
        return (None if match[2] == "*" else int(match[2])), offset
    length = response.headers.get("Content-Length")
    return (int(length) if length and length.isdigit() else None), 0


def _check_start(name: str, url: str, first: bytes, content_type: str) -> None:
    if first == _ZIP_MAGIC:
        return
    if "html" in content_type.lower() or first.lstrip()[:1] == b"<":
        raise DownloadError(
            f"{url} a répondu une page HTML au lieu de l'archive {name} : rien n'est importé."
        )
    raise DownloadError(f"{url} n'a pas répondu une archive zip : rien n'est importé.")


def _check_file(role: str, path: Path, url: str) -> None:
    """The downloaded file must be the expected zip: a readable directory (not truncated),
    one CSV, the reader's columns in its header. Thrown away otherwise."""
    what, columns = _CHECKS[role]
    name = FILE_NAMES[role]
    try:
        with open_source(path, what) as source:
            source.columns(columns)
    except SireneFormatError as error:
        path.unlink(missing_ok=True)
        message = str(error).replace(path.name, name)
        raise DownloadError(
            f"Fichier téléchargé refusé ({url}) : {message} Rien n'est importé."
        ) from error
