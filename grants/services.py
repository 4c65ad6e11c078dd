"""Writes with side effects: importing a SCDL file, linking grants to structures again."""

from __future__ import annotations

from django.db import transaction

from core.caching import bump_content_version
from grants.importer import rows, writer
from grants.importer.matching import match
from grants.importer.reader import FileProblem
from grants.importer.report import ImportReport
from grants.models import Grant, GrantFile
from territories.models import Collectivite

REMATCH_BATCH = 2000


def attributor_of(siren: str) -> Collectivite | None:
    """The collectivité an earlier import attached the SIREN `siren` to, if any."""
    grant_file = GrantFile.objects.filter(attributor_siren=siren).select_related("collectivite")
    found = grant_file.first()
    return found.collectivite if found else None


def import_grants(
    stream,
    *,
    name: str,
    collectivite: Collectivite | None = None,
    user=None,
    source_url: str = "",
    publish: bool = True,
    before_store=None,
) -> ImportReport:
    """Check the SCDL file `stream` (binary, seekable) whole, then store it whole, or
    nothing: a file with a bad row is refused, every bad row listed (see README, "Grants").

    Without `collectivite`, the attribuant is the collectivité an earlier import attached
    the file's SIREN to. `before_store` (tests) runs between the two passes.
    """
    report = ImportReport(name=name)
    try:
        rows.validate(stream, report)
    except FileProblem as problem:
        report.problem = str(problem)
        return report
    if not report.ok:
        return report
    if collectivite is None:
        collectivite = attributor_of(report.siren)
        if collectivite is None:
            report.problem = (
                f"l'attribuant de ce fichier (SIREN {report.siren}) n'est encore rattaché à "
                "aucune collectivité : précisez la collectivité (--collectivite)."
            )
            return report
    if before_store is not None:
        before_store()
    stream.seek(0)
    try:
        writer.store(
            stream,
            collectivite=collectivite,
            report=report,
            user=user,
            source_url=source_url,
            publish=publish,
        )
    except (writer.ImportRefused, FileProblem) as refusal:
        report.problem = str(refusal)
        report.grant_file = None
    return report


def rematch(queryset=None) -> tuple[int, int]:
    """Link the grants of `queryset` (all by default) to the structures again, as the
    import does (after a SIRENE import, or once staff added a structure): (grants read,
    grants whose link changed). By batches of ids, in one transaction."""
    queryset = Grant.objects.all() if queryset is None else queryset
    columns = ("pk", "beneficiary_siret", "beneficiary_rna", "beneficiary_id", "match_kind")
    read = changed = 0
    last = 0
    with transaction.atomic():
        while batch := list(
            queryset.filter(pk__gt=last).order_by("pk").values_list(*columns)[:REMATCH_BATCH]
        ):
            last = batch[-1][0]
            read += len(batch)
            results = match([(siret, rna) for _pk, siret, rna, _actor, _kind in batch])
            updates = [
                Grant(pk=pk, beneficiary_id=actor_id, match_kind=kind)
                for (pk, _siret, _rna, *old), (actor_id, kind) in zip(batch, results, strict=True)
                if tuple(old) != (actor_id, kind)
            ]
            Grant.objects.bulk_update(updates, ["beneficiary", "match_kind"], batch_size=500)
            changed += len(updates)
        if changed:
            bump_content_version()
    return read, changed
