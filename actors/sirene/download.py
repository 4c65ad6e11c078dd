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

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from django.conf import settings

from actors.sirene.files import SireneFormatError, open_source
from actors.sirene.reader import ESTABLISHMENT_COLUMNS, GEOLOCATION_COLUMNS, UNIT_COLUMNS
from actors.sirene.units import SireneImportError
from core import fetching
from core.fetching import Progress

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
_ZIP_MAGIC = b"PK\x03\x04"


class DownloadError(SireneImportError):
    """A stock file could not be downloaded or is not what it should be (in French)."""


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


def fetch(
    role: str,
    *,
    directory: Path,
    progress: Progress | None = None,
    attempts: int = 3,
    timeout: float = 60,
) -> Fetched:
    """Bring the local copy of the file `role` up to date (core.fetching); returns it.

    Raises DownloadError when the server answers an error, when the connection dropped
    `attempts` times (the part downloaded stays for the next run), or when what came is
    not the expected file (thrown away; the local copy stays).
    """
    name = FILE_NAMES[role]
    url = file_url(role)
    try:
        fetched = fetching.fetch_file(
            url,
            directory / name,
            check_start=lambda first, content_type: _check_start(name, url, first, content_type),
            start_length=len(_ZIP_MAGIC),
            check_file=lambda path: _check_file(role, path, url),
            progress=progress,
            attempts=attempts,
            timeout=timeout,
            user_agent="essdir (import SIRENE)",
        )
    except fetching.FetchError as error:
        raise DownloadError(str(error)) from error
    return Fetched(role, fetched.path, changed=fetched.changed, size=fetched.size)


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
    busy = f"Un téléchargement SIRENE est déjà en cours dans {directory}."
    with fetching.download_lock(directory, busy, error=DownloadError):
        return [
            fetch(role, directory=directory, progress=progress, attempts=attempts) for role in roles
        ]


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
