"""A large file in bounded memory: streamed twice, written by batches.

The import's peak memory is measured at two sizes (one batch, then four): what it holds
for each further grant must stay well under what the grant's row holds once read, so that
a file of any size is never held whole. (Two modest files say that as surely as one very
large one, in a fraction of the time: tracemalloc slows the import fivefold; so the
importer's batches are made smaller here, BATCH rows each, which keeps the measure's sense
at a quarter of the rows.)"""

import csv
import io

import pytest

from actors.sirene.synthetic import luhn_check_digit
from grants.importer import writer
from grants.models import Grant
from grants.services import import_grants
from tests.grants.conftest import ATTRIBUTOR_SIRET, data
from tests.memory import traced_peak

pytestmark = pytest.mark.django_db

BATCH = 500
SMALL = BATCH
LARGE = 4 * BATCH


def write_large_file(path, rows: int) -> None:
    """`rows` fictitious grants of 2024 in the schema's layout, written as a stream."""
    header = data("subventions-valide.csv").split(b"\r\n", 1)[0].decode()
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(header + "\r\n")
        for n in range(rows):
            prefix = f"998{n:010d}"
            siret = prefix + luhn_check_digit(prefix)
            day = f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}"
            out.write(
                f"Département Fictif,{ATTRIBUTOR_SIRET},{day},D-{n},"
                f"Association fictive n° {n},{siret},,Projet fictif n° {n},"
                f"{1000 + n}.50,aide en numéraire,unique,{day},,non,1.00,\r\n"
            )


def imported_peak(attribuant, path, rows: int, *, traced: bool = True) -> int:
    """The import's peak, on no grant, of a file of `rows` grants, its count checked."""
    Grant.objects.all().delete()
    write_large_file(path, rows)
    reports = []

    def run():
        with path.open("rb") as stream:
            reports.append(import_grants(stream, name=path.name, collectivite=attribuant))

    if traced:
        peak = traced_peak(run)
    else:
        run()
        peak = 0
    assert reports[0].ok, reports[0].lines()[:5]
    assert Grant.objects.count() == rows
    return peak


def test_a_large_file_is_imported_in_bounded_memory(attribuant, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(writer, "BATCH", BATCH)
    # Once untraced: what is loaded or compiled on a first import is not the file's.
    imported_peak(attribuant, tmp_path / "warm-up.csv", SMALL, traced=False)
    small = imported_peak(attribuant, tmp_path / "small.csv", SMALL)
    large = imported_peak(attribuant, tmp_path / "large.csv", LARGE)
    text = (tmp_path / "small.csv").read_text(encoding="utf-8")
    held_per_row = traced_peak(lambda: list(csv.DictReader(io.StringIO(text)))) / SMALL
    per_grant = (large - small) / (LARGE - SMALL)
    with capsys.disabled():
        print(
            f"\ngrants import: peak {small / 1e6:.1f} MB for {SMALL}, {large / 1e6:.1f} MB "
            f"for {LARGE}: {per_grant:.0f} bytes per further grant, a row read "
            f"{held_per_row:.0f}"
        )
    # The import keeps what checks the file whole (its keys), not its rows: holding the
    # rows would cost at least a row read each.
    assert per_grant < held_per_row / 2
