"""An import killed half-way (the process stopped at any step, as kill -9 or a reboot would
do) is finished by the next run of `import_sirene` or `refresh_panoramas`; two runs never
interleave.

The kill is simulated in the process: a step raises `Killed` (a BaseException, like
KeyboardInterrupt or SystemExit: no `except Exception` stops it) at a chosen call, so the
transaction in progress rolls back as it would if the process died, and what was committed
before stays."""

from __future__ import annotations

import io
import os
import socket
import subprocess

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from actors.models import Actor, Establishment, ImportRun, TerritoryPanorama
from actors.sirene.importer import import_sirene
from actors.sirene.synthetic import establishment_row, synthetic_siren, unit_row
from tests.actors.sirene_helpers import (
    METZ,
    branch,
    month_one,
    month_two,
    siret,
    snapshot,
    wipe,
    write_files,
)

pytestmark = pytest.mark.django_db

BATCH = 3

# Where the process dies: (what raises, at which call).
KILLS = {
    "stream": ("actors.sirene.writer.SireneWriter.write_batch", 3),
    "closures": ("actors.sirene.writer.SireneWriter.close", 1),
    "archives": ("actors.sirene.writer.SireneWriter.archive", 1),
    "places": ("actors.derived._places_sql", 1),
    "themes": ("actors.derived._theme_listings_sql", 1),
    "panoramas": ("actors.derived.refresh_panoramas", 1),
    "map cells": ("actors.derived.refresh_map_cells", 1),
    "cache": ("actors.sirene.runs.bump_content_version", 1),
}


class Killed(BaseException):
    """The process dies here."""


def kill_at(monkeypatch, target: str, call: int) -> None:
    """Make `target` (a dotted path) raise Killed at its `call`-th call."""
    module_path, _, name = target.rpartition(".")
    owner = _resolve(module_path)
    original = getattr(owner, name)
    calls = {"n": 0}

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == call:
            raise Killed(target)
        return original(*args, **kwargs)

    monkeypatch.setattr(owner, name, dying)


def _resolve(dotted: str):
    import importlib

    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            obj = getattr(obj, attribute)
        return obj
    raise ImportError(dotted)


@pytest.fixture
def months(tmp_path):
    """The files of month one and month two."""
    return write_files(tmp_path / "m1", *month_one()), write_files(tmp_path / "m2", *month_two())


_clean: dict[str, dict] = {}


@pytest.fixture
def clean_snapshot(months):
    """What month one then month two leave when nothing goes wrong (computed once)."""
    if "clean" not in _clean:
        import_sirene(**months[0], batch_size=BATCH)
        import_sirene(**months[1], batch_size=BATCH)
        _clean["clean"] = snapshot()
        wipe()
    return _clean["clean"]


@pytest.mark.parametrize("step", list(KILLS))
def test_rerun_after_a_kill_ends_as_a_clean_run(months, clean_snapshot, monkeypatch, step):
    import_sirene(**months[0], batch_size=BATCH)
    kill_at(monkeypatch, *KILLS[step])
    with pytest.raises(Killed):
        import_sirene(**months[1], batch_size=BATCH)
    monkeypatch.undo()

    import_sirene(**months[1], batch_size=BATCH)

    assert snapshot() == clean_snapshot
    assert not ImportRun.objects.filter(completed_at=None, repaired_by=None).exists()


@pytest.mark.parametrize("batch", range(1, 10))
def test_rerun_after_a_kill_in_any_batch_ends_as_a_clean_run(
    months, clean_snapshot, monkeypatch, batch
):
    # Month two reads as 9 batches of 3; unit 7's old head office closes in the 3rd, its
    # new one comes in the 6th: a kill in between must not lose the transfer.
    import_sirene(**months[0], batch_size=BATCH)
    kill_at(monkeypatch, KILLS["stream"][0], batch)
    with pytest.raises(Killed):
        import_sirene(**months[1], batch_size=BATCH)
    monkeypatch.undo()

    import_sirene(**months[1], batch_size=BATCH)

    assert snapshot() == clean_snapshot


def test_import_killed_while_writing_places_is_repaired_by_the_next_import(
    months, monkeypatch, territory
):
    import_sirene(**months[0], batch_size=BATCH)
    metz = territory("departement-57")
    kill_at(monkeypatch, *KILLS["places"])
    with pytest.raises(Killed):
        import_sirene(**months[1], batch_size=BATCH)
    monkeypatch.undo()
    # The new structures have no place yet: the département lists too few of them.
    in_moselle = Actor.objects.published().in_territory(metz)
    seen_before_repair = in_moselle.count()
    killed = ImportRun.objects.get(completed_at=None)
    assert killed.steps[-1] == "actors"
    assert (killed.kind, killed.files[0]["name"]) == ("import", "StockUniteLegale_utf8.zip")

    report = import_sirene(**months[1], batch_size=BATCH)

    with_an_establishment_there = (
        Actor.objects.published()
        .filter(establishments__is_active=True, establishments__commune__departement_code="57")
        .distinct()
        .count()
    )
    assert seen_before_repair < with_an_establishment_there == in_moselle.count()
    killed.refresh_from_db()
    assert killed.repaired_by is not None and killed.repaired_by.completed_at is not None
    assert "Reprise de l'import interrompu" in report.summary()


def test_rerun_with_unchanged_files_resumes_without_reading_them_again(
    months, clean_snapshot, monkeypatch
):
    import_sirene(**months[0], batch_size=BATCH)
    kill_at(monkeypatch, *KILLS["panoramas"])
    with pytest.raises(Killed):
        import_sirene(**months[1], batch_size=BATCH)
    monkeypatch.undo()
    # The files are not read again.
    monkeypatch.setattr("actors.sirene.read_establishments", pytest.fail)

    report = import_sirene(**months[1], batch_size=BATCH)

    assert snapshot() == clean_snapshot
    assert report.resumed_steps == ["panoramas", "map cells", "cache"]


def test_refresh_panoramas_finishes_an_import_killed_in_its_final_steps(
    months, clean_snapshot, monkeypatch
):
    import_sirene(**months[0], batch_size=BATCH)
    kill_at(monkeypatch, *KILLS["places"])
    with pytest.raises(Killed):
        import_sirene(**months[1], batch_size=BATCH)
    monkeypatch.undo()
    out = io.StringIO()

    call_command("refresh_panoramas", stdout=out)

    assert snapshot() == clean_snapshot
    assert "Import SIRENE interrompu" in out.getvalue()
    assert not ImportRun.objects.filter(completed_at=None, repaired_by=None).exists()


def test_refresh_panoramas_after_a_kill_mid_stream_asks_for_the_import_again(
    months, clean_snapshot, monkeypatch
):
    import_sirene(**months[0], batch_size=BATCH)
    kill_at(monkeypatch, KILLS["stream"][0], 8)  # 7 batches written, some new structures
    with pytest.raises(Killed):
        import_sirene(**months[1], batch_size=BATCH)
    monkeypatch.undo()
    out = io.StringIO()

    call_command("refresh_panoramas", stdout=out)

    # What the killed run wrote is in the places; the closures it never made are not.
    written = Actor.objects.filter(siren__in=[synthetic_siren(n) for n in range(13, 21)])
    assert 0 < written.count() < 8
    assert not Actor.objects.filter(places=None).exists()
    assert "relancez import_sirene" in out.getvalue()
    assert ImportRun.objects.filter(kind="import", completed_at=None, repaired_by=None).exists()

    import_sirene(**months[1], batch_size=BATCH)

    assert snapshot() == clean_snapshot


def test_a_structure_split_across_batches_by_the_kill_gets_its_territory(tmp_path, monkeypatch):
    siren = synthetic_siren(40)
    units = [unit_row(synthetic_siren(n)) for n in (39, 40)]
    rows = [
        establishment_row(siret(synthetic_siren(39))),
        branch(siren, 1),  # the first batch ends here: the head office is in the next one
        establishment_row(siret(siren), **METZ),
    ]
    files = write_files(tmp_path, units, rows)
    kill_at(monkeypatch, *KILLS["stream"][:1], 2)
    with pytest.raises(Killed):
        import_sirene(**files, batch_size=2)
    monkeypatch.undo()

    import_sirene(**files, batch_size=2)

    assert Actor.objects.get(siren=siren).territory.code == "57463"


# One run at a time


def _hold_the_lock():
    """What a running import holds, taken from elsewhere: a second connection's advisory
    lock on PostgreSQL, the lock row of a live process on other databases."""
    from actors.sirene import runs

    if connection.vendor == "postgresql":
        import psycopg

        settings = connection.settings_dict
        other = psycopg.connect(
            dbname=settings["NAME"],
            user=settings["USER"],
            host=settings["HOST"],
            port=settings["PORT"] or 5432,
            password=settings["PASSWORD"] or None,
            autocommit=True,
        )
        other.execute("SELECT pg_advisory_lock(%s)", [runs.LOCK_KEY])
        ImportRun.objects.create(kind="import", host=socket.gethostname(), pid=os.getpid())
        return other.close
    ImportRun.objects.create(
        kind="import", host=socket.gethostname(), pid=os.getpid(), lock=runs.LOCK_NAME
    )
    return lambda: None


def test_a_second_import_is_refused_while_one_runs(months):
    release = _hold_the_lock()
    try:
        with pytest.raises(CommandError, match="Un import SIRENE est déjà en cours"):
            call_command(
                "import_sirene",
                "--unites",
                str(months[0]["units"]),
                "--etablissements",
                str(months[0]["establishments"]),
                stdout=io.StringIO(),
            )
        with pytest.raises(CommandError, match="Un import SIRENE est déjà en cours"):
            call_command("refresh_panoramas", stdout=io.StringIO())
    finally:
        release()
    assert Actor.objects.count() == 0


def test_a_lock_left_by_a_dead_process_is_taken_over(months):
    from actors.sirene import runs

    dead = subprocess.Popen(["true"])
    dead.wait()
    ImportRun.objects.create(
        kind="import",
        host=socket.gethostname(),
        pid=dead.pid,
        lock=runs.LOCK_NAME if connection.vendor != "postgresql" else None,
    )

    import_sirene(**months[0], batch_size=BATCH)

    assert Actor.objects.count() == 12
    assert TerritoryPanorama.objects.national().get().structures == 12
    assert list(ImportRun.objects.values_list("lock", flat=True)) == [None, None]
    assert Establishment.objects.count() == 18
