"""Downloading a public file into a local copy: only what changed, resumed when
interrupted, checked before use, swapped in atomically. Shared by the importers that
download their sources (SIRENE's stocks, data·inclusion's files); each says what a good
file looks like (`check_start`, `check_file`) and how it names its errors.

- Local copy: ``<directory>/<name>``, with its validators beside it (``<name>.json``: ETag,
  Last-Modified, size).
- Conditional requests (If-None-Match / If-Modified-Since): an unchanged file answers
  304 and nothing is downloaded.
- Resumable: the body goes to ``<name>.part``, with the validators of the answer it comes
  from (``<name>.part.json``); after a dropped connection, the next attempt (or the next
  run) asks for the rest (Range, with If-Range: a file changed meanwhile comes whole).
- Checked before use: the announced size, the first bytes (`check_start`), the whole file
  (`check_file`, which deletes it when refusing it). A bad answer is thrown away; the
  local copy stays.
- Atomic: the checked file replaces the local copy with os.replace(), then its
  validators are written.
- One download at a time per directory (`download_lock`, a file lock).

Standard library only (urllib): nothing to install for a cron.
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

CHUNK = 1 << 20
# What a dropped or stalled connection raises while the body streams.
INTERRUPTIONS = (http.client.IncompleteRead, ConnectionError, TimeoutError, socket.timeout)

Progress = Callable[[str, int, int | None], None]


class FetchError(Exception):
    """A file could not be downloaded (in French): the server's error, too many
    interruptions, a lock held. The checks' own errors are the caller's."""


class Interrupted(Exception):
    """The body stopped before its end: what is written stays, to be resumed."""


@dataclass
class Fetched:
    """One file after `fetch_file`: its local path, whether a new copy came, its size."""

    path: Path
    changed: bool
    size: int


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def write_json(path: Path, data: dict) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=1))
    os.replace(temporary, path)


@contextmanager
def download_lock(
    directory: Path, busy: str, *, error: type[Exception] = FetchError
) -> Iterator[None]:
    """One download at a time in `directory` (two would write the same `.part`): `error`
    raised with the message `busy` when another holds it."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise error(busy) from None
        yield


def fetch_file(
    url: str,
    final: Path,
    *,
    check_start: Callable[[bytes, str], None] | None = None,
    start_length: int = 4,
    check_file: Callable[[Path], None] | None = None,
    progress: Progress | None = None,
    attempts: int = 3,
    timeout: float = 60,
    user_agent: str = "essdir",
) -> Fetched:
    """Bring the local copy `final` of `url` up to date; returns it.

    `check_start(first_bytes, content_type)` judges the answer's first `start_length`
    bytes, `check_file(path)` the whole downloaded file before it replaces the local copy:
    each raises to refuse it. Raises FetchError when the server answers an error, or when
    the connection dropped `attempts` times (the part downloaded stays for the next run).
    """
    part = final.with_name(final.name + ".part")
    for attempt in range(1, attempts + 1):
        try:
            return _attempt(
                url,
                final,
                part,
                (check_start, start_length, check_file),
                progress,
                timeout,
                user_agent,
            )
        except Interrupted as error:
            if attempt == attempts:
                raise FetchError(
                    f"Téléchargement de {final.name} interrompu ({error}) après "
                    f"{part.stat().st_size if part.exists() else 0} octets : la prochaine "
                    "exécution reprendra là où il s'est arrêté."
                ) from error
            time.sleep(min(2**attempt, 30))
    raise AssertionError("unreachable")


def _attempt(url, final, part, checks, progress, timeout, user_agent) -> Fetched:
    check_start, start_length, check_file = checks
    name = final.name
    known = read_json(final.with_name(name + ".json")) if final.exists() else {}
    partial = read_json(part.with_name(part.name + ".json")) if part.exists() else {}
    headers = {"User-Agent": user_agent, "Accept-Encoding": "identity"}
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
        if error.code == 304 and final.exists():
            part.unlink(missing_ok=True)
            part.with_name(part.name + ".json").unlink(missing_ok=True)
            return Fetched(final, changed=False, size=final.stat().st_size)
        if error.code == 416 and offset:
            # The part is no prefix of the file any more: start again.
            part.unlink(missing_ok=True)
            raise Interrupted("reprise refusée par le serveur") from error
        raise FetchError(f"{url} : le serveur répond {error.code} {error.reason}.") from error
    except (urllib.error.URLError, *INTERRUPTIONS) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, (ConnectionError, TimeoutError, socket.timeout)):
            raise Interrupted(str(reason)) from error
        raise FetchError(f"{url} : {reason}.") from error
    except (ValueError, http.client.HTTPException) as error:  # a malformed address or answer
        raise FetchError(f"{url} : {error}.") from error
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
            first = _read(response, start_length)
            if check_start is not None:
                check_start(first, content_type)
            part.with_name(part.name + ".json").unlink(missing_ok=True)
            with part.open("wb") as out:
                out.write(first)
            write_json(part.with_name(part.name + ".json"), validators)
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
        raise Interrupted(f"{received} octets reçus sur {total}")
    if check_file is not None:
        check_file(part)
    os.replace(part, final)
    write_json(final.with_name(name + ".json"), validators | {"size": received})
    part.with_name(part.name + ".json").unlink(missing_ok=True)
    return Fetched(final, changed=True, size=received)


def _read(response, size: int) -> bytes:
    try:
        return response.read(size)
    except INTERRUPTIONS as error:
        raise Interrupted(str(error) or type(error).__name__) from error


def _expected_size(response, offset: int) -> tuple[int | None, int]:
    """(the whole file's size if announced, where this body starts)."""
    if response.status == 206:
        match = re.fullmatch(r"bytes (\d+)-\d+/(\d+|\*)", response.headers.get("Content-Range", ""))
        if not match or int(match[1]) != offset:
            raise Interrupted("reprise mal comprise par le serveur")
        return (None if match[2] == "*" else int(match[2])), offset
    length = response.headers.get("Content-Length")
    return (int(length) if length and length.isdigit() else None), 0
