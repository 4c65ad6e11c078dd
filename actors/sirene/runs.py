"""Runs of the SIRENE import and of the refresh of derived data: one at a time (a lock held
in the database), each recorded step by step (`ImportRun`), and what a run killed half-way
left undone finished by the next one.

Why: an import writes for minutes in many transactions (a batch of establishments each,
then the closures, the archives, the places, the themes' lists, the panoramas, the map
cells). A process killed between two of them leaves rows that are each right but a
directory that is not as a whole: new structures without places (a département listing 5
structures out of 13 505), panoramas of last month. Each step is recorded once committed,
so the next run knows what is missing: `import_sirene` finishes it (and, on the same files,
only that), and so does `refresh_panoramas`, which rebuilds the derived data every night
anyway.

The lock: a session-level advisory lock on PostgreSQL (released by the server when the
process dies, however it dies); elsewhere the unique `lock` column of the run's own row,
taken over when the process holding it is gone (same machine, process id not alive).
"""

from __future__ import annotations

import hashlib
import os
import socket
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from actors.derived import DERIVED_STEPS, refresh_derived_data
from actors.models import ImportRun
from actors.sirene.units import SireneImportError
from core.caching import bump_content_version

LOCK_NAME = "sirene"
# The advisory lock's key on PostgreSQL: "SIRENE" in ASCII, unlikely to meet another's.
LOCK_KEY = 0x5349_5245_4E45

# The steps of a run, in order, as its record lists them once committed.
STEP_LABELS = {
    "units": "lecture des unités légales",
    "establishments": "écriture des établissements",
    "closures": "fermeture des établissements disparus",
    "actors": "mise à jour et archivage des structures",
    "places": "lieux d'action",
    "themes": "structures de chaque thème",
    "panoramas": "panoramas",
    "map cells": "cellules de la carte",
    "cache": "cache des pages",
}
# What is rebuilt after an import from the directory as a whole, and the pages' cache.
FINAL_STEPS = (*DERIVED_STEPS, "cache")
# The last step that writes what the files say: past it, only FINAL_STEPS remain.
WRITTEN = "actors"


class SireneBusyError(SireneImportError):
    """Another import or refresh holds the lock."""


def fingerprint(role: str, path: str | Path) -> dict:
    """What identifies an input file: name, size and a checksum of its content.

    A zip archive's checksum is read from its directory (the CRC-32 and size of each
    member), which costs nothing however large the file; a plain CSV's is its SHA-256. An
    unreadable file gets no checksum: the reader reports what is wrong with it.
    """
    path = Path(path)
    entry: dict = {"role": role, "name": path.name}
    try:
        entry["size"] = path.stat().st_size
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                members = [f"{i.filename}:{i.CRC:08x}:{i.file_size}" for i in archive.infolist()]
            entry["checksum"] = "crc32:" + ",".join(members)
        else:
            with path.open("rb") as file:
                entry["checksum"] = "sha256:" + hashlib.file_digest(file, "sha256").hexdigest()
    except (OSError, zipfile.BadZipFile, EOFError):
        pass
    return entry


def describe(run: ImportRun) -> str:
    """An unfinished run in French: what it was, when it started, how far it went."""
    what = "Import SIRENE" if run.kind == ImportRun.Kind.IMPORT else "Recalcul"
    started = timezone.localtime(run.started_at).strftime("%d/%m/%Y à %H:%M")
    last = STEP_LABELS.get(run.steps[-1], run.steps[-1]) if run.steps else ""
    reached = f"arrêté après l'étape « {last} »" if last else "arrêté avant sa première étape"
    if run.kind == ImportRun.Kind.IMPORT and WRITTEN not in run.steps and run.batches:
        reached += f", {run.batches} lot(s) d'établissements écrits"
    return f"{what} interrompu (commencé le {started}, {reached})"


class Run:
    """The record of the run in progress, written as it goes (each write committed at once
    outside the steps' transactions, so that it survives a kill)."""

    def __init__(self, record: ImportRun):
        self.record = record

    def done(self, step: str) -> None:
        """Record that `step` is committed."""
        self.record.steps.append(step)
        ImportRun.objects.filter(pk=self.record.pk).update(steps=self.record.steps)

    def batch_done(self) -> None:
        """Record one more batch of establishments committed."""
        self.record.batches += 1
        ImportRun.objects.filter(pk=self.record.pk).update(batches=F("batches") + 1)

    def pending(self) -> list[ImportRun]:
        """The earlier runs left unfinished (killed, or stopped by an error), oldest first:
        while this run holds the lock, no other process is running them."""
        return list(
            ImportRun.objects.filter(completed_at=None, repaired_by=None)
            .exclude(pk=self.record.pk)
            .order_by("started_at", "pk")
        )

    def complete(self, *, summary: str, repaired: Iterable[ImportRun] = ()) -> None:
        """Record the run as complete, and as the one that finished `repaired`."""
        now = timezone.now()
        ImportRun.objects.filter(pk=self.record.pk).update(completed_at=now, summary=summary)
        self.record.completed_at = now
        ImportRun.objects.filter(pk__in=[run.pk for run in repaired]).update(
            repaired_by=self.record
        )

    def fail(self, error: str) -> None:
        """Record why the run stopped; never hides the error itself."""
        # The connection may be what failed: the original error must still show.
        with suppress(DatabaseError):
            ImportRun.objects.filter(pk=self.record.pk).update(error=error[:2000])


@contextmanager
def exclusive_run(
    *, kind: str, files: Iterable[dict] = (), area: dict | None = None
) -> Iterator[Run]:
    """Hold the SIRENE lock and record a run of `kind` while the block runs.

    Raises SireneBusyError when another run holds the lock. The record keeps why the run
    stopped if it did (an error, an interruption); it stays unfinished until the block
    calls `Run.complete()`.
    """
    fields = {
        "kind": kind,
        "files": list(files),
        "area": area or {},
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
            if not cursor.fetchone()[0]:
                holder = ImportRun.objects.filter(completed_at=None).first()
                raise SireneBusyError(_busy_message(holder))
        try:
            record = ImportRun.objects.create(**fields)
            yield from _running(record)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
    else:
        record = _take_lock_row(fields)
        try:
            yield from _running(record)
        finally:
            ImportRun.objects.filter(pk=record.pk).update(lock=None)


def _running(record: ImportRun) -> Iterator[Run]:
    run = Run(record)
    try:
        yield run
    except SireneImportError as error:
        run.fail(str(error))
        raise
    except BaseException as error:
        # KeyboardInterrupt, SystemExit (SIGTERM), a bug: the batch in progress rolled back.
        run.fail(f"interrompu ({type(error).__name__}: {error})")
        raise


def _take_lock_row(fields: dict) -> ImportRun:
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return ImportRun.objects.create(lock=LOCK_NAME, **fields)
        except IntegrityError:
            holder = ImportRun.objects.filter(lock=LOCK_NAME).first()
            if holder is None:  # released meanwhile
                continue
            if _is_alive(holder):
                raise SireneBusyError(_busy_message(holder)) from None
            # Its process is gone without releasing the lock (killed): take it over.
            ImportRun.objects.filter(pk=holder.pk, lock=LOCK_NAME).update(
                lock=None, error=holder.error or "interrompu (processus disparu)"
            )
    raise SireneBusyError(_busy_message(None))


def _is_alive(holder: ImportRun) -> bool:
    if holder.host != socket.gethostname() or holder.pid is None:
        return holder.pid is not None  # another machine's process: cannot tell, so yes
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _busy_message(holder: ImportRun | None) -> str:
    if holder is None:
        return (
            "Un import SIRENE ou un recalcul des données dérivées est déjà en cours : "
            "attendez sa fin."
        )
    what = (
        "Un import SIRENE"
        if holder.kind == ImportRun.Kind.IMPORT
        else "Un recalcul des données dérivées (refresh_panoramas)"
    )
    started = timezone.localtime(holder.started_at).strftime("%d/%m/%Y à %H:%M")
    return (
        f"{what} est déjà en cours (commencé le {started}, processus {holder.pid} sur "
        f"{holder.host}) : attendez sa fin, les deux ne doivent pas s'entrelacer."
    )


def finish(run: Run, *, steps: Iterable[str] = FINAL_STEPS) -> dict[str, int]:
    """Rebuild the derived data (those of `steps`) and move the pages' cache on, each step
    recorded once committed; returns how many rows of each."""
    steps = list(steps)
    counts = refresh_derived_data(
        steps=[step for step in steps if step in DERIVED_STEPS], on_step=run.done
    )
    if "cache" in steps:
        # Bulk writes send no signals: cached pages follow here.
        bump_content_version()
        run.done("cache")
    return counts


def area_record(departements: Iterable[str] = (), regions: Iterable[str] = ()) -> dict:
    """The area of a run as its record keeps it ({} for the whole country), codes written
    as the import reads them."""
    departements = sorted({code.strip().upper() for code in departements})
    regions = sorted({code.strip() for code in regions})
    return {"departements": departements, "regions": regions} if departements or regions else {}


def last_import_of(files: list[dict], *, area: dict) -> ImportRun | None:
    """The last completed import of exactly these files (same checksums) for this area."""
    if not all("checksum" in entry for entry in files):
        return None
    for run in ImportRun.objects.filter(
        kind=ImportRun.Kind.IMPORT, completed_at__isnull=False
    ).order_by("-completed_at")[:50]:
        if run.files == files and run.area == area:
            return run
    return None


def resumable(pending: list[ImportRun], *, files: list[dict], area: dict) -> ImportRun | None:
    """The last unfinished import, when it read the same files for the same area and wrote
    everything they say: only its final steps remain (see FINAL_STEPS)."""
    imports = [run for run in pending if run.kind == ImportRun.Kind.IMPORT]
    if not imports:
        return None
    last = imports[-1]
    same = last.files == files and last.area == area and all("checksum" in f for f in files)
    return last if same and WRITTEN in last.steps else None


@dataclass
class RefreshReport:
    """What `refresh_directory` did: rows of each derived table, and what it says of the
    unfinished runs it found."""

    counts: dict[str, int]
    notes: list[str] = field(default_factory=list)


def refresh_directory() -> RefreshReport:
    """Rebuild the derived data (places, themes' lists, panoramas, map cells) under the
    SIRENE lock, and finish the unfinished runs whose only missing steps are those.

    An import killed before it had written everything its files say stays unfinished (its
    closures and archives need the files): the report asks for `import_sirene` again.
    """
    with exclusive_run(kind=ImportRun.Kind.REFRESH) as run:
        pending = run.pending()
        counts = finish(run)
        repaired, notes = [], []
        for earlier in pending:
            if earlier.kind == ImportRun.Kind.REFRESH or WRITTEN in earlier.steps:
                repaired.append(earlier)
                notes.append(
                    f"{describe(earlier)} : terminé ici (lieux, panoramas et cellules de la "
                    "carte recalculés)."
                )
            else:
                notes.append(
                    f"{describe(earlier)} : les lieux et panoramas suivent ce qu'il a écrit ; "
                    "relancez import_sirene avec les mêmes fichiers pour le terminer "
                    "(fermetures et archivages)."
                )
        run.complete(summary="\n".join(notes), repaired=repaired)
    return RefreshReport(counts=counts, notes=notes)
