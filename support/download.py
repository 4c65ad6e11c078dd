"""Downloading data·inclusion's structures and services files, for `manage.py
import_data_inclusion --download`: conditional, resumable, checked, atomic, one download at
a time (core.fetching, as SIRENE's stocks).

- Addresses: each file's name (`DATA_INCLUSION_STRUCTURES_FILE`, `…_SERVICES_FILE`,
  "structures.json" and "services.json" by default) joined to `DATA_INCLUSION_BASE_URL`; a
  name may be a whole address (data.gouv.fr's stable links of a resource). No default base:
  the command says so when it is not set.
- Local copies in `DATA_INCLUSION_DOWNLOAD_DIR`, named `structures.json` and
  `services.json` (`.csv` when the address ends so), with their validators beside them.
- Checked before they replace the local copies: a JSON array (or a CSV), not an HTML page,
  read to its end in UTF-8.
- After an import that went to its end, the validators of the files it read are kept
  (`imported.json`): unchanged files already imported are not imported again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from core import fetching
from support.reading import ImportError_, iter_rows

ROLES = ("structures", "services")
IMPORTED = "imported.json"


class DownloadError(ImportError_):
    """A file could not be downloaded, or is not what it should be (in French)."""


@dataclass
class Downloaded:
    """The two local copies after a download, and what is known of them."""

    paths: dict[str, Path]
    changed: bool
    validators: dict[str, dict]

    @property
    def already_imported(self) -> bool:
        """Whether these very files were imported to the end already."""
        imported = fetching.read_json(directory() / IMPORTED)
        return bool(imported) and imported == self.validators

    def mark_imported(self) -> None:
        fetching.write_json(directory() / IMPORTED, self.validators)


def directory() -> Path:
    return Path(settings.DATA_INCLUSION_DOWNLOAD_DIR)


def file_url(role: str) -> str:
    name = getattr(settings, f"DATA_INCLUSION_{role.upper()}_FILE")
    if urlsplit(name).scheme:
        return name
    base = settings.DATA_INCLUSION_BASE_URL
    if not base:
        raise DownloadError(
            "DATA_INCLUSION_BASE_URL n'est pas configurée : indiquez l'adresse où "
            "data·inclusion publie ses fichiers (ou l'adresse de chaque fichier dans "
            f"DATA_INCLUSION_{role.upper()}_FILE)."
        )
    return urljoin(base if base.endswith("/") else base + "/", name)


def local_name(role: str, url: str) -> str:
    return f"{role}.csv" if urlsplit(url).path.lower().endswith(".csv") else f"{role}.json"


def _check_start(url: str, csv: bool):
    def check(first: bytes, content_type: str) -> None:
        start = first.removeprefix(b"\xef\xbb\xbf").lstrip()
        if "html" in content_type.lower() or start[:1] == b"<":
            raise DownloadError(
                f"{url} a répondu une page HTML au lieu du fichier attendu : rien n'est importé."
            )
        if not csv and start[:1] not in (b"[", b""):
            raise DownloadError(
                f"{url} n'a pas répondu un tableau JSON de lignes : rien n'est importé."
            )

    return check


def _check_file(url: str, name: str):
    def check(path: Path) -> None:
        # Read to its end as the import will (a JSON array, UTF-8): a truncated or
        # malformed file is thrown away before it replaces the local copy.
        try:
            for _row in iter_rows(path, {}):
                pass
        except ImportError_ as error:
            path.unlink(missing_ok=True)
            message = str(error).replace(str(path), name).replace(path.name, name)
            raise DownloadError(f"Fichier téléchargé refusé ({url}) : {message}") from error

    return check


def download_files(*, attempts: int | None = None) -> Downloaded:
    """Bring the local copies of both files up to date; raises DownloadError (or
    ImportError_) with the reason when a file cannot be had."""
    if attempts is None:
        attempts = settings.DATA_INCLUSION_DOWNLOAD_ATTEMPTS
    folder = directory()
    paths, validators, changed = {}, {}, False
    busy = f"Un téléchargement data·inclusion est déjà en cours dans {folder}."
    with fetching.download_lock(folder, busy, error=DownloadError):
        for role in ROLES:
            url = file_url(role)
            name = local_name(role, url)
            is_csv = name.endswith(".csv")
            try:
                fetched = fetching.fetch_file(
                    url,
                    folder / name,
                    check_start=_check_start(url, is_csv),
                    start_length=16,
                    check_file=None if is_csv else _check_file(url, name),
                    attempts=attempts,
                    user_agent="essdir (import data·inclusion)",
                )
            except fetching.FetchError as error:
                raise DownloadError(str(error)) from error
            paths[role] = fetched.path
            changed = changed or fetched.changed
            known = fetching.read_json(folder / f"{name}.json")
            validators[role] = {
                key: known.get(key) for key in ("url", "etag", "last_modified", "size")
            }
    return Downloaded(paths, changed, validators)
