"""A 50 000-row file in bounded memory: streamed twice, written by batches."""

import time
import tracemalloc

import pytest

from actors.sirene.synthetic import luhn_check_digit
from grants.models import Grant
from grants.services import import_grants
from tests.grants.conftest import ATTRIBUTOR_SIRET, data

pytestmark = pytest.mark.django_db

ROWS = 50_000
# Loose: the file alone weighs about 13 MB, what it holds as Grant objects about ten times.
PEAK_BOUND = 100 * 1024 * 1024


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


def test_a_50_000_row_file_is_imported_in_bounded_memory(attribuant, tmp_path, capsys):
    path = tmp_path / "subventions-50000.csv"
    write_large_file(path, ROWS)

    tracemalloc.start()
    started = time.monotonic()
    with path.open("rb") as stream:
        report = import_grants(stream, name=path.name, collectivite=attribuant)
    elapsed = time.monotonic() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert report.ok, report.lines()[:5]
    assert Grant.objects.count() == ROWS
    size = path.stat().st_size / 1e6
    with capsys.disabled():
        print(
            f"\n50 000 grants ({size:.1f} MB): peak {peak / 1e6:.1f} MB traced, "
            f"{elapsed:.1f} s under tracemalloc"
        )
    assert peak < PEAK_BOUND
