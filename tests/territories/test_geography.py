import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from territories.geography import DEFAULT_EXTRACT_DIR, read_official, write_extract

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def write_official(root: Path) -> None:
    admin = root / "decoupage-administratif"
    admin.mkdir(parents=True)
    (admin / "regions.json").write_text(json.dumps([{"code": "44", "nom": "Grand Est"}]))
    (admin / "departements.json").write_text(
        json.dumps([{"code": "54", "nom": "Meurthe-et-Moselle", "region": "44"}])
    )
    (admin / "communes.json").write_text(
        json.dumps(
            [
                {
                    "code": "54528",
                    "nom": "Toul",
                    "departement": "54",
                    "region": "44",
                    "type": "commune-actuelle",
                    "codesPostaux": ["54200"],
                    "population": 15768,
                },
                {"code": "54999", "nom": "Ancienne", "type": "commune-deleguee"},
            ]
        )
    )
    epci = [
        {
            "code": "200070563",
            "nom": "CC Terres Touloises",
            "type": "CC",
            "membres": [{"code": "54528"}, {"code": "54999"}],
        }
    ]
    (admin / "epci.json").write_text(json.dumps(epci))
    (admin / "ept.json").write_text("[]")
    (root / "groupements.csv").write_text(
        "code,nom,type,epci_membres,epci_noms,departement_seul,confidence,note\n"
        "PAYS-TDL,Pays Terres de Lorraine,pays,200070563,CC Terres Touloises,,high,\n"
    )


def test_build_extract_keeps_current_communes_only(tmp_path):
    write_official(tmp_path / "src")

    call_command(
        "build_geography_extract",
        source=tmp_path / "src",
        output=tmp_path / "out",
        stdout=io.StringIO(),
    )

    with (tmp_path / "out" / "communes.csv").open() as handle:
        assert [row["code"] for row in csv.DictReader(handle)] == ["54528"]
    with (tmp_path / "out" / "epci.csv").open() as handle:
        assert next(csv.DictReader(handle))["members"] == "54528"


def test_build_extract_reports_a_missing_source(tmp_path):
    with pytest.raises(CommandError, match="Fichier introuvable"):
        call_command(
            "build_geography_extract", source=tmp_path, output=tmp_path / "o", stdout=io.StringIO()
        )


def test_import_reports_a_malformed_extract(tmp_path):
    (tmp_path / "regions.csv").write_text("wrong,columns\n")

    with pytest.raises(CommandError, match="colonnes attendues"):
        call_command("import_geography", directory=tmp_path, stdout=io.StringIO())


@pytest.mark.skipif(not SHARED_DATA.exists(), reason="../shared/data is only beside a checkout")
def test_committed_extract_matches_the_official_files(tmp_path):
    write_extract(read_official(SHARED_DATA), tmp_path)

    for name in ("regions", "departements", "epci", "ept", "communes", "groupements"):
        committed = (DEFAULT_EXTRACT_DIR / f"{name}.csv").read_text()
        assert (tmp_path / f"{name}.csv").read_text() == committed, name
