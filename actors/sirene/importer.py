"""The SIRENE import: INSEE's stock files turned into actors and establishments
(`import_sirene`, run by `manage.py import_sirene`).

Units are read into memory first (only the ESS units, packed: a few hundred bytes each),
then establishments are streamed in batches, each written in its own transaction by
`actors.sirene.writer`; then establishments no longer seen open are closed, actors whose
unit left are archived, and the derived data is rebuilt. The run holds the SIRENE lock and
records each step once committed (`actors.sirene.runs`): a run killed half-way is finished
by the next one.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from actors import sirene
from actors.models import ImportRun
from actors.sirene import runs
from actors.sirene.bulk import batches
from actors.sirene.report import ImportReport
from actors.sirene.units import (
    Communes,
    SireneImportError,
    UnitFacts,
    commune_code_of,
    pack_unit,
    read_kept_units,
    unpack_unit,
)
from actors.sirene.writer import SireneWriter

BATCH_SIZE = 5000

__all__ = [
    "BATCH_SIZE",
    "SireneImportError",
    "UnitFacts",
    "commune_code_of",
    "import_sirene",
    "pack_unit",
    "unpack_unit",
]


def import_sirene(
    *,
    units: str | Path,
    establishments: str | Path,
    geolocation: str | Path | None = None,
    departements: Iterable[str] = (),
    regions: Iterable[str] = (),
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Import the ESS structures of INSEE's SIRENE stock files, and their establishments.

    Idempotent and incremental: rows are matched by SIREN and SIRET and written only when
    a fact differs (a second run writes nothing). Staff fields are never written; see
    `writer.actor_changes` for the name, territory and status. With `departements` /
    `regions`, only establishments located there are read, and only those are closed when
    absent.

    One run at a time (SireneBusyError otherwise), recorded step by step. A run that finds
    an earlier one unfinished finishes it: it rebuilds the derived data whatever it wrote
    itself, and when the files and the area are the ones the unfinished run had fully
    written, it does only what that run had left (`ImportReport.resumed_steps`). Bad input
    raises SireneImportError naming the file and line; batches already written stay, the
    batch in progress rolls back, nothing is closed or archived, and the next run completes
    the job. A dry run reads and compares, writes nothing, and takes no lock.
    """
    report = ImportReport(read=sirene.ReadReport(), dry_run=dry_run)
    departements, regions = list(departements), list(regions)
    communes = Communes()
    area = communes.area(departements, regions)
    if dry_run:
        _import(report, units, establishments, geolocation, communes, area, batch_size, None)
        return report
    files = [runs.fingerprint("units", units), runs.fingerprint("establishments", establishments)]
    if geolocation is not None:
        files.append(runs.fingerprint("geolocation", geolocation))
    area_record = runs.area_record(departements, regions)
    with runs.exclusive_run(kind=ImportRun.Kind.IMPORT, files=files, area=area_record) as run:
        pending = run.pending()
        earlier = runs.resumable(pending, files=files, area=area_record)
        if earlier is not None:
            # Same files, all written: only the final steps it did not make remain.
            steps = [step for step in runs.FINAL_STEPS if step not in earlier.steps]
            report.resumed_steps = steps
            report.notes.append(
                f"Reprise de l'import interrompu : {runs.describe(earlier)} ; mêmes fichiers, "
                "déjà lus et écrits. Étapes faites ici : "
                + ", ".join(runs.STEP_LABELS[step] for step in steps)
                + "."
            )
            started = timezone.now()
            runs.finish(run, steps=steps)
            report.seconds["total"] = (timezone.now() - started).total_seconds()
        else:
            report.notes.extend(f"{runs.describe(p)} : terminé par cet import." for p in pending)
            _import(report, units, establishments, geolocation, communes, area, batch_size, run)
            if report.changes or pending:
                started = timezone.now()
                runs.finish(run)
                report.seconds["données dérivées"] = (timezone.now() - started).total_seconds()
        run.complete(summary=report.summary(), repaired=pending)
    return report


def _import(report, units, establishments, geolocation, communes, area, batch_size, run):
    """Read the files and write what they say (everything but the derived data)."""
    clock = timezone.now
    started = clock()
    try:
        kept = read_kept_units(units, report.read)
        report.seconds["unités"] = (clock() - started).total_seconds()
        if run is not None:
            run.done("units")
        points = (
            sirene.read_geolocation(geolocation, sirens=kept) if geolocation is not None else None
        )
        writer = SireneWriter(
            report=report,
            units=kept,
            communes=communes,
            dry_run=run is None,
            now=started,
            batch_size=batch_size,
        )
        stream_started = clock()
        rows = sirene.read_establishments(
            establishments,
            units=kept,
            report=report.read,
            area=area,
            geolocation=points,
            closed=True,
        )
        for batch in batches(rows, batch_size):
            try:
                with transaction.atomic():
                    writer.write_batch(batch)
            except (DataError, IntegrityError) as error:
                # A value the reader let through and the database refuses: stop cleanly.
                raise SireneImportError(
                    f"La base de données a refusé le lot des lignes {batch[0].line} à "
                    f"{batch[-1].line} de {Path(establishments).name} ({error}). Ce lot n'est "
                    "pas écrit, les précédents le sont ; rien n'est fermé ni archivé. "
                    "Relancez l'import une fois le fichier corrigé."
                ) from error
            if run is not None:
                run.batch_done()
    except sirene.SireneFormatError as error:
        raise SireneImportError(str(error)) from error
    except FileNotFoundError as error:
        raise SireneImportError(f"Fichier introuvable : {error.filename}") from error
    if run is not None:
        run.done("establishments")
    report.seconds["établissements"] = (clock() - stream_started).total_seconds()
    finish_started = clock()
    writer.close_unseen(area, refused=report.read)
    if run is not None:
        run.done("closures")
    writer.finish_actors(whole_country=area is None, refused=report.read.refused_sirens)
    if run is not None:
        run.done("actors")
    writer.tally()
    report.seconds["fin"] = (clock() - finish_started).total_seconds()
    report.seconds["total"] = (clock() - started).total_seconds()
