"""A unit that transfers its head office (INSEE changes `nicSiegeUniteLegale`; the old
establishment closes or stays as a secondary one): after the next monthly import, the
structure's address, territory and places follow the new head office, only the new one is
flagged, and closing dates are SIRENE's (the start of the closed period), not the import's.

Each test imports two stocks in INSEE's layout a month apart."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command

from actors.exports import actor_row
from actors.models import Actor, Establishment
from actors.sirene.importer import import_sirene
from actors.sirene.synthetic import establishment_row, synthetic_siren, unit_row
from tests.actors.sirene_helpers import METZ, STRASBOURG, branch, siret, write_files

pytestmark = pytest.mark.django_db

SIREN = synthetic_siren(7)
OLD, BRANCH, NEW = siret(SIREN, 0), siret(SIREN, 1), siret(SIREN, 2)
APRIL = datetime.datetime(2026, 4, 3, 5, 30, tzinfo=datetime.UTC)
MAY = datetime.datetime(2026, 5, 4, 5, 30, tzinfo=datetime.UTC)
NEW_HEAD_OFFICE = {
    **METZ,
    "numeroVoieEtablissement": "3",
    "indiceRepetitionEtablissement": "",
    "typeVoieEtablissement": "PL",
    "libelleVoieEtablissement": "DE LA REPUBLIQUE",
    "dateCreationEtablissement": "2026-03-20",
    "dateDebut": "2026-03-20",
}


def import_month(directory, units, rows, *args) -> str:
    files = write_files(directory, units, rows)
    out = io.StringIO()
    call_command(
        "import_sirene",
        "--unites",
        str(files["units"]),
        "--etablissements",
        str(files["establishments"]),
        *args,
        stdout=out,
    )
    return out.getvalue()


def april(tmp_path, time_machine):
    """The unit's head office in Nancy and a branch in Strasbourg."""
    time_machine.move_to(APRIL)
    import_month(
        tmp_path / "2026-04",
        [unit_row(SIREN, nicSiegeUniteLegale=OLD[9:])],
        [establishment_row(OLD), branch(SIREN, 1, **STRASBOURG)],
    )
    time_machine.move_to(MAY)


def may(tmp_path, old_head_office: dict, *, new_first: bool = False) -> str:
    """The head office moved to Metz on 20 March 2026; `old_head_office` says what became
    of the old one."""
    rows = [
        establishment_row(OLD, **{"etablissementSiege": "false", **old_head_office}),
        branch(SIREN, 1, **STRASBOURG),
        establishment_row(NEW, **NEW_HEAD_OFFICE),
    ]
    if new_first:
        rows.reverse()
    return import_month(tmp_path / "2026-05", [unit_row(SIREN, nicSiegeUniteLegale=NEW[9:])], rows)


CLOSED = {"etatAdministratifEtablissement": "F", "dateDebut": "2026-03-20"}


def establishments() -> dict[str, tuple]:
    return {
        siret: (is_head_office, is_active, closed_on)
        for siret, is_head_office, is_active, closed_on in Establishment.objects.values_list(
            "siret", "is_head_office", "is_active", "closed_on"
        )
    }


def test_a_head_office_that_moves_takes_address_territory_and_places_along(
    tmp_path, time_machine, territory
):
    april(tmp_path, time_machine)
    actor = Actor.objects.get()
    assert actor.territory.code == "54395"

    out = may(tmp_path, CLOSED)

    assert establishments() == {
        OLD: (False, False, datetime.date(2026, 3, 20)),
        BRANCH: (False, True, None),
        NEW: (True, True, None),
    }
    actor = Actor.objects.for_export().get()
    assert (actor.territory.code, actor.search_context) == ("57463", "Metz")
    row = actor_row(actor, "")
    assert (row["siret"], row["adresse"], row["code_insee"]) == (
        NEW,
        "3 place de la Republique",
        "57463",
    )
    # Found in Moselle (its head office) and Bas-Rhin (its branch), no longer in
    # Meurthe-et-Moselle, where nothing of it remains open.
    published = Actor.objects.published()
    assert published.in_territory(territory("departement-57")).exists()
    assert published.in_territory(territory("departement-67")).exists()
    assert not published.in_territory(territory("departement-54")).exists()
    assert "Sièges transférés : 1." in out


def test_an_old_head_office_still_open_becomes_a_secondary_establishment(
    tmp_path, time_machine, territory
):
    april(tmp_path, time_machine)

    may(tmp_path, {})

    assert establishments() == {
        OLD: (False, True, None),
        BRANCH: (False, True, None),
        NEW: (True, True, None),
    }
    assert Actor.objects.get().territory.code == "57463"
    # Still open in Nancy: still found there.
    assert Actor.objects.published().in_territory(territory("departement-54")).exists()


@pytest.mark.parametrize("new_first", [False, True], ids=["old-row-first", "new-row-first"])
def test_the_order_of_the_rows_does_not_matter(tmp_path, time_machine, new_first, monkeypatch):
    april(tmp_path, time_machine)
    # One row per batch: the old and the new head office are written in different batches.
    from actors.sirene import importer

    monkeypatch.setitem(importer.import_sirene.__kwdefaults__, "batch_size", 1)

    may(tmp_path, CLOSED, new_first=new_first)

    assert establishments()[OLD] == (False, False, datetime.date(2026, 3, 20))
    assert Establishment.objects.filter(is_head_office=True).get().siret == NEW
    assert Actor.objects.get().territory.code == "57463"


def test_a_territory_chosen_by_staff_stays_when_the_head_office_moves(
    tmp_path, time_machine, territory
):
    april(tmp_path, time_machine)
    Actor.objects.update(territory=territory("departement-54"))

    may(tmp_path, CLOSED)

    assert Actor.objects.get().territory.short_slug == "departement-54"
    assert Establishment.objects.filter(is_head_office=True).get().siret == NEW


def test_closing_dates_come_from_sirene_not_from_the_day_of_the_import(tmp_path, time_machine):
    april(tmp_path, time_machine)

    may(tmp_path, CLOSED)
    time_machine.move_to(datetime.datetime(2026, 6, 2, 5, 30, tzinfo=datetime.UTC))

    # The branch gone from the file altogether has no SIRENE date: the import's day.
    import_month(
        tmp_path / "2026-06",
        [unit_row(SIREN, nicSiegeUniteLegale=NEW[9:])],
        [establishment_row(OLD, etablissementSiege="false", **CLOSED), establishment_row(NEW)],
    )
    assert establishments()[OLD][2] == datetime.date(2026, 3, 20)
    assert establishments()[BRANCH] == (False, False, datetime.date(2026, 6, 2))


def test_a_date_an_older_import_gave_is_corrected_by_sirene(tmp_path, time_machine):
    april(tmp_path, time_machine)
    # As imports before this change did: closed on the day the import saw it so.
    Establishment.objects.filter(siret=BRANCH).update(
        is_active=False, closed_on=datetime.date(2026, 4, 3)
    )

    import_month(
        tmp_path / "2026-05",
        [unit_row(SIREN, nicSiegeUniteLegale=OLD[9:])],
        [
            establishment_row(OLD),
            branch(
                SIREN,
                1,
                etatAdministratifEtablissement="F",
                dateDebut="2026-02-27",
                **STRASBOURG,
            ),
        ],
    )

    assert establishments()[BRANCH] == (False, False, datetime.date(2026, 2, 27))


def test_a_dry_run_counts_the_transfer_and_writes_nothing(tmp_path, time_machine):
    april(tmp_path, time_machine)
    files = write_files(
        tmp_path / "2026-05",
        [unit_row(SIREN, nicSiegeUniteLegale=NEW[9:])],
        [
            establishment_row(OLD, etablissementSiege="false", **CLOSED),
            establishment_row(NEW, **NEW_HEAD_OFFICE),
        ],
    )

    report = import_sirene(**files, dry_run=True)

    # The old head office closed by its row, the branch gone from the file.
    assert (report.moved_head_offices, report.closed, report.establishments.created) == (1, 2, 1)
    assert establishments() == {OLD: (True, True, None), BRANCH: (False, True, None)}
    assert Actor.objects.get().territory.code == "54395"
