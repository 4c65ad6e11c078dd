"""Rows the database would refuse (a NUL byte, a legal category too long for its column)
are refused by the reader, with file and line, and leave their records as they were; a
batch the database still refuses stops the import cleanly, naming the file and lines."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import DataError

from actors.models import Actor, Establishment, ImportRun, SireneState
from actors.sirene import writer
from actors.sirene.importer import SireneImportError, import_sirene
from actors.sirene.synthetic import establishment_row, synthetic_siren, unit_row
from territories.models import PublicationStatus
from tests.actors.sirene_helpers import METZ, branch, siret, write_files

pytestmark = pytest.mark.django_db

SIREN_A = synthetic_siren(1)
SIREN_B = synthetic_siren(2)


def command(files) -> str:
    out = io.StringIO()
    call_command(
        "import_sirene",
        "--unites",
        str(files["units"]),
        "--etablissements",
        str(files["establishments"]),
        stdout=out,
    )
    return out.getvalue()


def test_nul_byte_in_an_establishment_row_is_skipped_and_reported(tmp_path):
    units = [unit_row(SIREN_A)]
    command(write_files(tmp_path / "m1", units, [establishment_row(siret(SIREN_A))]))
    rows = [
        establishment_row(siret(SIREN_A), libelleVoieEtablissement="DE LA\x00 PAIX"),
        branch(SIREN_A, 1, **METZ),
    ]

    out = command(write_files(tmp_path / "m2", units, rows))

    assert "StockEtablissement_utf8.zip, ligne 2 : caractère NUL" in out
    assert "ligne invalide : 1" in out
    # Left as it was: open, at its former address; the other row went in.
    assert list(
        Establishment.objects.order_by("siret").values_list("siret", "address", "is_active")
    ) == [
        (siret(SIREN_A), "12 bis rue de la Paix", True),
        (siret(SIREN_A, 1), "12 bis rue de la Paix", True),
    ]


def test_nul_byte_in_a_unit_row_leaves_its_structure_as_it_was(tmp_path):
    rows = [establishment_row(siret(SIREN_A)), establishment_row(siret(SIREN_B), **METZ)]
    command(write_files(tmp_path / "m1", [unit_row(SIREN_A), unit_row(SIREN_B)], rows))
    units = [
        unit_row(SIREN_A, denominationUniteLegale="JARDINS\x00", trancheEffectifsUniteLegale="21"),
        unit_row(SIREN_B, trancheEffectifsUniteLegale="21"),
    ]

    out = command(write_files(tmp_path / "m2", units, rows))

    assert "StockUniteLegale_utf8.zip, ligne 2 : caractère NUL" in out
    a, b = Actor.objects.order_by("siren")
    # Neither updated nor archived, its establishment not closed; the other one updated.
    assert (a.status, a.sirene_state, a.employees_band) == ("published", "active", "11")
    assert b.employees_band == "21"
    assert Establishment.objects.filter(is_active=True).count() == 2


def test_overlong_legal_category_is_skipped_and_reported(tmp_path):
    units = [unit_row(SIREN_A, categorieJuridiqueUniteLegale="92200"), unit_row(SIREN_B)]
    rows = [establishment_row(siret(SIREN_A)), establishment_row(siret(SIREN_B), **METZ)]

    out = command(write_files(tmp_path, units, rows))

    assert "StockUniteLegale_utf8.zip, ligne 2 : catégorie juridique invalide : « 92200 »" in out
    assert list(Actor.objects.values_list("siren", flat=True)) == [SIREN_B]
    assert ImportRun.objects.get().completed_at is not None


def test_overlong_codes_of_a_known_unit_leave_it_as_it_was(tmp_path):
    rows = [establishment_row(siret(SIREN_A))]
    command(write_files(tmp_path / "m1", [unit_row(SIREN_A)], rows))

    out = command(
        write_files(
            tmp_path / "m2",
            [unit_row(SIREN_A, activitePrincipaleUniteLegale="88.99BZ")],
            rows,
        )
    )

    assert "code NAF invalide : « 88.99BZ »" in out
    actor = Actor.objects.get()
    assert (actor.naf_code, actor.status, actor.sirene_state) == (
        "88.99B",
        PublicationStatus.PUBLISHED,
        SireneState.ACTIVE,
    )


def test_a_batch_the_database_refuses_stops_cleanly_naming_file_and_lines(tmp_path, monkeypatch):
    units = [unit_row(synthetic_siren(n)) for n in range(1, 6)]
    rows = [establishment_row(siret(synthetic_siren(n))) for n in range(1, 6)]
    files = write_files(tmp_path, units, rows)
    original = writer.insert_rows

    def refusing(model, rows):
        if model is Establishment and rows[0]["siret"] == siret(synthetic_siren(4)):
            raise DataError("value too long for type character varying(14)")
        return original(model, rows)

    monkeypatch.setattr(writer, "insert_rows", refusing)

    with pytest.raises(SireneImportError) as caught:
        import_sirene(**files, batch_size=3)

    message = str(caught.value)
    assert message.startswith(
        "La base de données a refusé le lot des lignes 5 à 6 de StockEtablissement_utf8.zip"
    )
    assert "value too long" in message
    # The batch is rolled back whole (its structures too); the batch before it stays.
    assert (Actor.objects.count(), Establishment.objects.count()) == (3, 3)
    run = ImportRun.objects.get()
    assert (run.completed_at, run.batches) == (None, 1)
    assert "lignes 5 à 6" in run.error

    monkeypatch.undo()
    import_sirene(**files, batch_size=3)

    assert (Actor.objects.count(), Establishment.objects.count()) == (5, 5)
    assert ImportRun.objects.get(pk=run.pk).repaired_by.completed_at is not None
