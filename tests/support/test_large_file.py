"""50 000 services (and 5 000 structures) in bounded memory: both files streamed twice,
written by batches; the structures file as CSV, the services file as a JSON array. The
names are fictitious."""

import csv
import json
import time
import tracemalloc

import pytest

from support.importer import import_files
from support.models import SupportService, SupportStructure, SupportZone

pytestmark = pytest.mark.django_db

SERVICES = 50_000
STRUCTURES = 5_000
# Loose: the services file alone weighs about 50 MB, what its rows would hold as Python
# objects several times more; streamed, the import keeps their keys only.
PEAK_BOUND = 100 * 1024 * 1024


def write_large_files(directory) -> tuple:
    structures = directory / "structures.csv"
    with structures.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["source", "id", "nom", "date_maj", "siret", "commune"])
        for n in range(STRUCTURES):
            writer.writerow(
                ["fictif", f"fictif--s{n}", f"Structure fictive n° {n}", "2026-11-03", "", "Toul"]
            )
    services = directory / "services.json"
    with services.open("w", encoding="utf-8") as out:
        out.write("[\n")
        for n in range(SERVICES):
            row = {
                "source": "fictif",
                "id": f"fictif--s{n % STRUCTURES}--{n}",
                "structure_id": f"fictif--s{n % STRUCTURES}",
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
    return structures, services


def test_50_000_services_are_imported_in_bounded_memory(tmp_path, capsys):
    structures, services = write_large_files(tmp_path)

    tracemalloc.start()
    started = time.monotonic()
    report = import_files(structures, services)
    elapsed = time.monotonic() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert report.bad == []
    assert SupportService.objects.count() == SERVICES
    assert SupportStructure.objects.count() == STRUCTURES
    assert SupportZone.objects.count() == SERVICES
    size = (structures.stat().st_size + services.stat().st_size) / 1e6
    with capsys.disabled():
        print(
            f"\n{SERVICES} services, {STRUCTURES} structures ({size:.1f} MB): peak "
            f"{peak / 1e6:.1f} MB traced, {elapsed:.1f} s under tracemalloc"
        )
    assert peak < PEAK_BOUND
