"""Real servers for the tests that need one: the README's gunicorn command on loopback."""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import functools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

SECRET_KEY = "gunicorn-test-0123456789abcdefghijklmnopqrstuvwxyz0123456789"
# A folder the test processes of one run share (set by pytest-xdist's controller, in
# tests/conftest.py): the migrated database is made there once for all of them.
SHARED_FOLDER = "ESSDIR_TESTS_SHARED_FOLDER"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _environment(database: Path, **environment: str) -> dict:
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "essdir.example.org",
        "DATABASE_URL": f"sqlite:///{database}",
        "LOG_LEVEL": "WARNING",
        **environment,
    }
    env.pop("REDIS_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


@functools.cache
def migrated_database() -> Path:
    """A SQLite database file migrated by `manage.py migrate`, once per run (by the first
    test process that needs it, the others waiting for it): each server starts on a copy of
    it (migrating takes ten seconds; the migrations read none of the settings the servers
    vary)."""
    if os.environ.get(SHARED_FOLDER):
        directory = Path(os.environ[SHARED_FOLDER])
    else:
        directory = Path(tempfile.mkdtemp(prefix="essdir-migrated-"))
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
    database = directory / "migrated.sqlite3"
    with (directory / "migrated.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not database.exists():
            # Renamed once complete: a process killed while migrating leaves no half file.
            partial = directory / "migrating.sqlite3"
            partial.unlink(missing_ok=True)
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "-v", "0"],
                cwd=settings.BASE_DIR,
                env=_environment(partial),
                check=True,
                timeout=300,
            )
            partial.rename(database)
    return database


@contextlib.contextmanager
def gunicorn(tmp_path: Path, **environment: str) -> Iterator[tuple[int, Path, dict]]:
    """`gunicorn essdir.wsgi -w 1` with DEBUG off on a free loopback port, over a migrated
    SQLite database of its own, with `environment` added: yields its port, its log file
    and its environment (for `manage.py` commands on the same database)."""
    base = Path(settings.BASE_DIR)
    database = tmp_path / "db.sqlite3"
    shutil.copyfile(migrated_database(), database)
    env = _environment(database, **environment)
    port = free_port()
    log = tmp_path / "gunicorn.log"
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        *("essdir.wsgi", "-w", "1", "-b", f"127.0.0.1:{port}", "--no-control-socket"),
    ]
    with log.open("wb") as output:
        server = subprocess.Popen(
            command, cwd=base, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, log.read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start: " + log.read_text()
                time.sleep(0.2)
        yield port, log, env
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
