"""The second pass: a checked file stored in one transaction, or nothing.

Under a lock on the attribuant collectivité's row (two imports for one collectivité run
one after the other; PostgreSQL's SELECT … FOR UPDATE, SQLite's single writer):

1. the same file already in force changes nothing (idempotent, concurrent runs included);
2. a SIREN already attached to another collectivité is refused;
3. the grants of the file's years are removed (a corrected file replaces its years);
4. its grants are written by batches, each batch linked to the structures in 3 queries;
5. earlier files left without grants are marked replaced by this one.

Any failure rolls everything back.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef

from core.caching import bump_content_version
from grants.importer.matching import match_grants
from grants.importer.reader import SourceFile
from grants.importer.report import ImportReport
from grants.importer.rows import check_row
from grants.models import Grant, GrantFile
from territories.models import Collectivite, PublicationStatus

BATCH = 2000


class ImportRefused(Exception):
    """The file cannot be stored for this collectivité; the message says why, in French."""


def _same_file_in_force(collectivite: Collectivite, sha256: str) -> bool:
    for grant_file in GrantFile.objects.of(collectivite).current().filter(sha256=sha256):
        if grant_file.grants.count() == grant_file.row_count:
            return True
    return False


def _check_siren(collectivite: Collectivite, siren: str) -> None:
    other = (
        GrantFile.objects.filter(attributor_siren=siren)
        .exclude(collectivite=collectivite)
        .select_related("collectivite")
        .first()
    )
    if other is not None:
        raise ImportRefused(
            f"l'attribuant de ce fichier (SIREN {siren}) est déjà celui des subventions de "
            f"« {other.collectivite.name} » : un attribuant est une seule collectivité."
        )


def _write_rows(stream, grant_file: GrantFile, report: ImportReport) -> None:
    source = SourceFile(stream)
    scratch = ImportReport(name=report.name)
    batch: list[Grant] = []

    def flush() -> None:
        report.matched += match_grants(batch)
        Grant.objects.bulk_create(batch)
        batch.clear()

    for line, cells in source.rows():
        row = check_row(line, cells, source.header, scratch)
        if row is None:
            raise ImportRefused(f"la ligne {line} a changé depuis la vérification du fichier.")
        batch.append(
            Grant(file=grant_file, collectivite_id=grant_file.collectivite_id, **row.values)
        )
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    source.finish()
    if source.sha256 != report.sha256:
        raise ImportRefused("le fichier a changé pendant son import : importez-le à nouveau.")


def store(
    stream,
    *,
    collectivite: Collectivite,
    report: ImportReport,
    user=None,
    source_url: str = "",
    publish: bool = True,
) -> None:
    """Store a file that passed `rows.validate` (its facts in `report`), rewound."""
    with transaction.atomic():
        # The lock: a second import for this collectivité waits for this one to end.
        Collectivite.objects.select_for_update().filter(pk=collectivite.pk).first()
        if _same_file_in_force(collectivite, report.sha256):
            report.unchanged = True
            return
        _check_siren(collectivite, report.siren)
        grant_file = GrantFile(
            collectivite=collectivite,
            name=report.name[:255],
            source_url=source_url,
            attributor_siren=report.siren,
            years=report.years_label,
            row_count=report.row_count,
            total_amount=report.total,
            sha256=report.sha256,
            imported_by=user if getattr(user, "pk", None) else None,
            status=PublicationStatus.PUBLISHED if publish else PublicationStatus.DRAFT,
        )
        grant_file._change_reason = f"Import : {report.row_count} ligne(s), {report.years_label}"
        if getattr(user, "pk", None):
            grant_file._history_user = user
        grant_file.save()
        report.replaced, _by_model = Grant.objects.filter(
            collectivite=collectivite, year__in=report.years
        ).delete()
        _write_rows(stream, grant_file, report)
        emptied = (
            GrantFile.objects.of(collectivite)
            .current()
            .exclude(pk=grant_file.pk)
            .exclude(Exists(Grant.objects.filter(file=OuterRef("pk"))))
        )
        for old in emptied:
            old.replaced_by = grant_file
            old._change_reason = f"Remplacé par l'import de {grant_file.name}"
            if getattr(user, "pk", None):
                old._history_user = user
            old.save(update_fields=["replaced_by", "updated_at"])
        report.grant_file = grant_file
        bump_content_version()
