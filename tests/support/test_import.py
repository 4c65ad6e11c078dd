"""`import_data_inclusion` end to end on small files in data·inclusion's published layout
(tests/support/data/, fictitious): validation with reasons, what is kept and skipped,
idempotence, SIRET linking, one transaction."""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from support.models import SupportService, SupportStructure, SupportZone

DATA = Path(__file__).parent / "data"
TOUL_PAGE = "/territoires/commune-54528-toul/"
STRUCTURES = DATA / "structures.json"
SERVICES = DATA / "services.json"

KEPT = {
    "fictif--couveuse-toulois--test-activite",
    "fictif--ett--structurer",
    "fictif--appui-54--developper",
    "fictif--plateforme--definir",
    # Not a creation theme, but its structure is an ESS structure (same SIRET).
    "fictif--ett--garde-enfants",
}


def run(*extra: str, structures: Path = STRUCTURES, services: Path = SERVICES) -> str:
    out = io.StringIO()
    call_command(
        "import_data_inclusion",
        "--structures",
        str(structures),
        "--services",
        str(services),
        *extra,
        stdout=out,
    )
    return out.getvalue()


def test_import_keeps_the_support_services_and_those_of_ess_structures(ess_actors):
    output = run("--date", "2026-11-05")

    assert set(SupportService.objects.values_list("di_id", flat=True)) == KEPT
    assert set(SupportStructure.objects.values_list("di_id", flat=True)) == {
        "fictif--couveuse-toulois",
        "fictif--entreprendre-terres-touloises",
        "fictif--appui-54",
        "fictif--plateforme-nationale",
    }
    service = SupportService.objects.get(di_id="fictif--couveuse-toulois--test-activite")
    assert service.source == "fictif"
    assert service.file_date == datetime.date(2026, 11, 5)
    assert service.updated_on == datetime.date(2026, 11, 3)
    assert service.modes_mobilisation == ["telephoner", "envoyer-un-courriel"]
    assert service.structure.phone == "03 00 00 00 01"
    assert list(service.zones.values_list("code", "territory__short_slug", "rank")) == [
        ("54528", "commune-54528", 10)
    ]
    national = SupportService.objects.get(di_id="fictif--plateforme--definir")
    assert list(national.zones.values_list("code", "territory", "rank")) == [("france", None, 100)]
    assert "Services importés : 5" in output
    # The food-aid service of a structure outside the ESS.
    assert "ignorés (hors thématiques de création et hors structures de l'ESS) : 1" in output


def test_bad_rows_are_counted_and_reported_with_their_reason(ess_actors):
    output = run("--date", "2026-11-05")

    assert "Lignes invalides : 5" in output
    assert "structures.json, ligne 6 : nom : None is not of type 'string'" in output
    assert "services.json, ligne 7 : nom : 'Ab' is too short" in output
    assert (
        "services.json, ligne 8 : structure_id : structure fictif--absente absente ou invalide"
        in output
    )
    assert "services.json, ligne 9 : zone_eligibilite" in output
    assert "services.json, ligne 10 : courriel" in output
    assert not SupportService.objects.filter(di_id__in=["fictif--appui-54--nom-court"]).exists()


def test_import_twice_changes_nothing(ess_actors):
    run("--date", "2026-11-05")
    before = {
        "structures": list(SupportStructure.objects.order_by("pk").values_list("pk", "di_id")),
        "services": list(SupportService.objects.order_by("pk").values_list("pk", "di_id")),
        "zones": list(
            SupportZone.objects.order_by("code", "service__di_id").values_list(
                "service__di_id", "code", "territory", "rank"
            )
        ),
    }
    run("--date", "2026-11-05")

    assert (
        list(SupportStructure.objects.order_by("pk").values_list("pk", "di_id"))
        == before["structures"]
    )
    assert (
        list(SupportService.objects.order_by("pk").values_list("pk", "di_id")) == before["services"]
    )
    assert (
        list(
            SupportZone.objects.order_by("code", "service__di_id").values_list(
                "service__di_id", "code", "territory", "rank"
            )
        )
        == before["zones"]
    )


def test_a_later_file_updates_the_rows_in_place(ess_actors, tmp_path):
    run("--date", "2026-11-05")
    rows = json.loads(SERVICES.read_text(encoding="utf-8"))
    rows[0]["nom"] = "Tester son activité en couveuse, nouvelle formule (fictif)"
    rows[0]["zone_eligibilite"] = ["200070563"]
    changed = tmp_path / "services.json"
    changed.write_text(json.dumps(rows), encoding="utf-8")
    run("--date", "2026-12-01", services=changed)

    service = SupportService.objects.get(di_id="fictif--couveuse-toulois--test-activite")
    assert service.name == "Tester son activité en couveuse, nouvelle formule (fictif)"
    assert service.file_date == datetime.date(2026, 12, 1)
    assert list(service.zones.values_list("code", flat=True)) == ["200070563"]
    assert SupportService.objects.count() == len(KEPT)


def test_structures_are_linked_to_the_ess_structure_of_their_siret_or_siren(ess_actors):
    run("--date", "2026-11-05")

    by_siret = SupportStructure.objects.get(di_id="fictif--entreprendre-terres-touloises")
    by_siren = SupportStructure.objects.get(di_id="fictif--couveuse-toulois")
    assert by_siret.actor == ess_actors["siret"]
    assert by_siren.actor == ess_actors["siren"]
    assert SupportStructure.objects.get(di_id="fictif--appui-54").actor is None


def test_without_ess_structures_their_other_services_are_skipped(db):
    run("--date", "2026-11-05")

    assert not SupportService.objects.filter(di_id="fictif--ett--garde-enfants").exists()
    assert SupportService.objects.count() == len(KEPT) - 1


def test_the_file_date_is_the_files_own_without_date(ess_actors, tmp_path):
    services = tmp_path / "services.json"
    services.write_bytes(SERVICES.read_bytes())
    moment = datetime.datetime(2026, 10, 30, 12, 0).timestamp()
    os.utime(services, (moment, moment))
    run(services=services)

    assert set(SupportService.objects.values_list("file_date", flat=True)) == {
        datetime.date(2026, 10, 30)
    }


def test_an_unreadable_file_writes_nothing(ess_actors, tmp_path):
    broken = tmp_path / "services.json"
    broken.write_text('[{"id": ', encoding="utf-8")

    with pytest.raises(CommandError, match="fichier illisible"):
        run(services=broken)
    assert not SupportStructure.objects.exists()


def test_nothing_is_half_written(ess_actors, monkeypatch):
    from support import importer

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "_write_services", fail)
    with pytest.raises(RuntimeError):
        run("--date", "2026-11-05")
    assert not SupportStructure.objects.exists()


def test_csv_files_with_lists_as_json_read_the_same(ess_actors, tmp_path):
    for name in ("structures", "services"):
        rows = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
        with (tmp_path / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            for row in rows:
                writer.writerow(
                    {
                        key: ""
                        if value is None
                        else json.dumps(value)
                        if isinstance(value, list)
                        else value
                        for key, value in row.items()
                    }
                )
    output = run(
        "--date",
        "2026-11-05",
        structures=tmp_path / "structures.csv",
        services=tmp_path / "services.csv",
    )

    assert set(SupportService.objects.values_list("di_id", flat=True)) == KEPT
    assert "Lignes invalides : 5" in output


def test_a_row_repeated_in_a_file_is_written_once_the_last_one_winning(ess_actors, tmp_path):
    rows = json.loads(SERVICES.read_text(encoding="utf-8"))
    again = {**rows[0], "nom": "Tester son activité, deuxième ligne (fictif)"}
    repeated = tmp_path / "services.json"
    repeated.write_text(json.dumps([*rows, again]), encoding="utf-8")
    run("--date", "2026-11-05", services=repeated)

    service = SupportService.objects.get(di_id="fictif--couveuse-toulois--test-activite")
    assert service.name == "Tester son activité, deuxième ligne (fictif)"
    assert SupportService.objects.count() == len(KEPT)


def _without(tmp_path, name: str, *ids: str) -> Path:
    rows = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps([row for row in rows if row["id"] not in ids]), encoding="utf-8")
    return path


def test_a_service_gone_from_a_later_file_is_removed_and_leaves_the_pages(
    ess_actors, tmp_path, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run("--date", "2026-11-05")
    assert "Tester son activité en couveuse (fictif)" in client.get(TOUL_PAGE).text

    later = _without(tmp_path, "services", "fictif--couveuse-toulois--test-activite")
    with django_capture_on_commit_callbacks(execute=True):  # the pages' cache goes stale
        output = run("--date", "2026-12-01", services=later)

    assert set(SupportService.objects.values_list("di_id", flat=True)) == KEPT - {
        "fictif--couveuse-toulois--test-activite"
    }
    # Its structure has no service left: removed too, with its zones.
    assert not SupportStructure.objects.filter(di_id="fictif--couveuse-toulois").exists()
    assert not SupportZone.objects.filter(code="54528").exists()
    assert "Retirés (absents du fichier de leur source) : 1 services, 1 structures" in output
    assert "Tester son activité en couveuse (fictif)" not in client.get(TOUL_PAGE).text


def test_a_service_no_longer_kept_is_removed(db, tmp_path):
    run("--date", "2026-11-05")
    assert SupportService.objects.filter(di_id="fictif--ett--structurer").exists()
    rows = json.loads(SERVICES.read_text(encoding="utf-8"))
    for row in rows:
        if row["id"] == "fictif--ett--structurer":
            row["thematiques"] = ["famille--garde-denfants"]
    later = tmp_path / "services.json"
    later.write_text(json.dumps(rows), encoding="utf-8")
    run("--date", "2026-12-01", services=later)

    assert not SupportService.objects.filter(di_id="fictif--ett--structurer").exists()


def test_a_service_whose_row_is_bad_this_time_is_left_as_it_was(ess_actors, tmp_path):
    run("--date", "2026-11-05")
    rows = json.loads(SERVICES.read_text(encoding="utf-8"))
    for row in rows:
        if row["id"] == "fictif--appui-54--developper":
            row["nom"] = "Ab"
    later = tmp_path / "services.json"
    later.write_text(json.dumps(rows), encoding="utf-8")
    output = run("--date", "2026-12-01", services=later)

    service = SupportService.objects.get(di_id="fictif--appui-54--developper")
    assert service.file_date == datetime.date(2026, 11, 5)
    assert "Retirés (absents du fichier de leur source) : 0 services" in output


def test_the_services_of_other_sources_are_left_alone(ess_actors, tmp_path):
    other = SupportStructure.objects.create(
        source="autre-fictif",
        di_id="autre--structure",
        name="Structure d'une autre source (fictif)",
        updated_on=datetime.date(2026, 11, 1),
        file_date=datetime.date(2026, 11, 1),
    )
    SupportService.objects.create(
        source="autre-fictif",
        di_id="autre--service",
        structure=other,
        name="Service d'une autre source (fictif)",
        updated_on=datetime.date(2026, 11, 1),
        file_date=datetime.date(2026, 11, 1),
    )
    run("--date", "2026-11-05")
    run("--date", "2026-12-01", services=_without(tmp_path, "services", "fictif--ett--structurer"))

    assert SupportService.objects.filter(di_id="autre--service").exists()
    assert SupportStructure.objects.filter(di_id="autre--structure").exists()
    assert not SupportService.objects.filter(di_id="fictif--ett--structurer").exists()


def test_a_removal_is_rolled_back_with_the_rest(ess_actors, tmp_path, monkeypatch):
    from support import importer

    run("--date", "2026-11-05")

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "bump_content_version", fail)
    later = _without(tmp_path, "services", "fictif--couveuse-toulois--test-activite")
    with pytest.raises(RuntimeError):
        run("--date", "2026-12-01", services=later)
    assert set(SupportService.objects.values_list("di_id", flat=True)) == KEPT


@pytest.mark.parametrize(
    "content, message",
    [
        (b'[{"id": "a"}, {"id": ', "JSON invalide à la ligne 12"),
        (b'[{"id": "a"} {"id": "b"}]', "JSON invalide après la ligne 11"),
        (b'{"id": "a"}', "un tableau JSON de lignes est attendu"),
        (b'[{"id": "a"}] [', "texte après le tableau JSON"),
        ('[{"id": "é"}]'.encode("latin-1"), "fichier illisible"),
        (b"", "un tableau JSON de lignes est attendu"),
    ],
)
def test_a_malformed_file_is_refused_whole_and_nothing_written(
    ess_actors, tmp_path, content, message
):
    run("--date", "2026-11-05")
    broken = tmp_path / "services.json"
    broken.write_bytes(
        SERVICES.read_bytes()[:-2] + b"," + content[1:] if content[:1] == b"[" else content
    )

    with pytest.raises(CommandError, match=message):
        run("--date", "2026-12-01", services=broken)
    assert set(SupportService.objects.values_list("di_id", flat=True)) == KEPT
    assert set(SupportService.objects.values_list("file_date", flat=True)) == {
        datetime.date(2026, 11, 5)
    }


def test_a_csv_not_in_utf8_is_refused(ess_actors, tmp_path):
    broken = tmp_path / "services.csv"
    broken.write_bytes("source,id,nom\nfictif,é,Éé\n".encode("latin-1"))

    with pytest.raises(CommandError, match="fichier illisible"):
        run(services=broken)
    assert not SupportStructure.objects.exists()


def test_leaving_optional_nulls_out_of_the_check_changes_no_verdict():
    from support.importer import _row_errors, validator

    for kind, path in (("structure", STRUCTURES), ("service", SERVICES)):
        for row in json.loads(path.read_text(encoding="utf-8")):
            full = sorted(e.message for e in validator(kind).iter_errors(row))
            assert (_row_errors(kind, row) is None) == (not full), row["id"]
            for error in full:
                assert error in (_row_errors(kind, row) or "")
