"""An import killed for real (SIGKILL, in a process of its own, on a SQLite file) while it
writes the territory index is finished by the next run, which ends as a clean run would."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests import servers
from tests.actors.sirene_helpers import month_one, month_two, write_files

ROOT = Path(__file__).resolve().parents[2]


def process(database: Path, *actions: str, **popen) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.actors.sirene_process", *actions],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def run(database: Path, *actions: str) -> str:
    child = process(database, *actions)
    out, err = child.communicate(timeout=300)
    assert child.returncode == 0, err
    return out


@pytest.fixture(scope="module")
def blank_database(tmp_path_factory) -> Path:
    """A migrated SQLite file holding the test geography (made once, from the run's migrated
    database)."""
    path = tmp_path_factory.mktemp("kill") / "blank.sqlite3"
    shutil.copy(servers.migrated_database(), path)
    run(path, "geography")
    return path


@pytest.mark.parametrize("step", ["places", "batch-5"])
def test_import_killed_with_sigkill_is_finished_by_the_next_run(tmp_path, blank_database, step):
    m1 = write_files(tmp_path / "m1", *month_one())["units"].parent
    m2 = write_files(tmp_path / "m2", *month_two())["units"].parent
    clean, killed = tmp_path / "clean.sqlite3", tmp_path / "killed.sqlite3"
    shutil.copy(blank_database, clean)
    shutil.copy(blank_database, killed)
    expected = json.loads(run(clean, f"import:{m1}", f"import:{m2}", "snapshot"))

    dying = process(killed, f"import:{m1}", f"import:{m2}:die-at-{step}")
    assert dying.stdout.readline().strip() == "DYING"
    os.kill(dying.pid, signal.SIGKILL)
    dying.wait(timeout=60)
    dying.stdout.close()
    dying.stderr.close()
    assert dying.returncode == -signal.SIGKILL

    after = json.loads(run(killed, f"import:{m2}", "snapshot"))

    assert after == expected
