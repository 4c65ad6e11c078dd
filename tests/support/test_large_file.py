"""A large services file in bounded memory: both files streamed twice, written by batches;
the structures file as CSV, the services file as a JSON array. The names are fictitious.

The import's peak memory is measured at two sizes (one batch of services, then four): what
it holds for each further service must stay well under what the service's row holds once
read, so that a file of any size is never held whole. (Two modest files say that as
surely as one very large one, in a fraction of the time: tracemalloc slows the import
fivefold; so the importer's batches are made smaller here, BATCH rows each, which keeps the
measure's sense at a quarter of the rows.)"""

import csv
import json

import pytest

from support import importer
from support.importer import import_files
from support.models import SupportService, SupportStructure, SupportZone
from tests.memory import traced_peak

pytestmark = pytest.mark.django_db

BATCH = 500
SMALL = BATCH
LARGE = 4 * BATCH


def write_large_files(directory, services: int) -> tuple:
    """A structures file and a services file of `services` fictitious services, one
    structure for ten of them."""
    structures_count = services // 10
    directory.mkdir(exist_ok=True)
    structures = directory / "structures.csv"
    with structures.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["source", "id", "nom", "date_maj", "siret", "commune"])
        for n in range(structures_count):
            writer.writerow(
                ["fictif", f"fictif--s{n}", f"Structure fictive n° {n}", "2026-11-03", "", "Toul"]
            )
    services_path = directory / "services.json"
    with services_path.open("w", encoding="utf-8") as out:
        out.write("[\n")
        for n in range(services):
            row = {
                "source": "fictif",
                "id": f"fictif--s{n % structures_count}--{n}",
                "structure_id": f"fictif--s{n % structures_count}",
                "nom": f"Service fictif n° {n}",
                "description": "Service fictif, pour le test d'un grand fichier. " * 8,
                "date_maj": "2026-11-03",
                "thematiques": ["creer-une-entreprise--developper-son-entreprise"],
                "modes_accueil": ["en-presentiel"],
                "zone_eligibilite": ["54"],
                "telephone": None,
                "courriel": None,
            }
            out.write(("," if n else "") + json.dumps(row, ensure_ascii=False) + "\n")
        out.write("]\n")
    return structures, services_path


def imported_peak(directory, services: int, *, traced: bool = True) -> int:
    """The import's peak on an empty directory of services, its counts checked."""
    SupportService.objects.all().delete()
    SupportStructure.objects.all().delete()
    structures, services_path = write_large_files(directory, services)
    reports = []

    def run():
        reports.append(import_files(structures, services_path))

    if traced:
        peak = traced_peak(run)
    else:
        run()
        peak = 0
    assert reports[0].bad == []
    assert SupportService.objects.count() == services
    assert SupportStructure.objects.count() == services // 10
    assert SupportZone.objects.count() == services
    return peak


def test_a_large_services_file_is_imported_in_bounded_memory(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(importer, "BATCH", BATCH)
    # Once untraced: what is loaded or compiled on a first import is not the file's.
    imported_peak(tmp_path / "warm-up", SMALL, traced=False)
    small = imported_peak(tmp_path / "small", SMALL)
    large = imported_peak(tmp_path / "large", LARGE)
    _structures, services_path = write_large_files(tmp_path / "rows", SMALL)
    held_per_row = traced_peak(lambda: json.loads(services_path.read_text())) / SMALL
    per_service = (large - small) / (LARGE - SMALL)
    with capsys.disabled():
        print(
            f"\nservices import: peak {small / 1e6:.1f} MB for {SMALL}, {large / 1e6:.1f} MB "
            f"for {LARGE}: {per_service:.0f} bytes per further service, a row read "
            f"{held_per_row:.0f}"
        )
    # The import keeps each service's keys (to remove what the file no longer names), not
    # its row: holding the rows would cost at least a row read each.
    assert per_service < held_per_row / 2
