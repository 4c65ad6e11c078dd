"""The seed data: idempotent loading, and the facts of each source on the right page."""

import html
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from core.seedkit import SeedError
from essdir.seed import DEFAULT_SEED_DIR, load_seed
from territories.models import Budget, Collectivite, Contact

pytestmark = pytest.mark.django_db


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.content.decode())


def test_seed_twice_changes_nothing(seed):
    report = load_seed()

    assert report.created == {}
    assert report.updated == {}


def test_seed_loads_the_eleven_collectivites(seed):
    assert Collectivite.objects.published().count() == 11


def test_seed_never_invents_a_ctes_name(seed):
    ctes = Contact.objects.filter(collectivite__slug="meurthe-et-moselle", is_ctes=True)

    assert ctes.count() == 6
    assert set(ctes.values_list("name", flat=True)) == {""}
    assert sorted(c.territories.get().short_slug for c in ctes) == [
        "groupement-cd54-briey",
        "groupement-cd54-grand-nancy",
        "groupement-cd54-longwy",
        "groupement-cd54-lunevillois",
        "groupement-cd54-terres-de-lorraine",
        "groupement-cd54-val-de-lorraine",
    ]


def test_source_000_pays_terres_de_lorraine(seed, client):
    text = page(client, "/collectivites/pays-terres-de-lorraine/")
    assert "Fant LONGO" in text
    assert "03 83 15 67 00" in text
    assert "Chargée d'accompagnement ESS et création" in text

    tour = page(client, "/evenements/ess-tour-en-terres-de-lorraine/")
    assert "Tous les ans au mois de Novembre" in tour
    assert "la source ne donne pas de date complète" in tour


def test_source_001_meurthe_et_moselle(seed, client):
    text = page(client, "/collectivites/meurthe-et-moselle/")
    assert "Catherine Mengel" in text
    assert "03 83 94 55 80" in text
    assert "cmengel@departement54.fr" in text
    assert text.count("Nom non communiqué par la source") == 6

    esspresso = page(client, "/evenements/esspresso-grand-nancy-2018/")
    assert "<strong>48</strong> structures inscrites" in esspresso
    assert "<strong>240</strong> rendez-vous" in esspresso


def test_source_002_moselle(seed, client):
    text = page(client, "/collectivites/moselle/")
    assert "Laurence BOUCHON" in text
    assert "03 87 37 57 18" in text
    assert "laurence.bouchon@moselle.fr" in text

    aap = page(client, "/dispositifs/moselle-aap-innovation-sociale/")
    assert "État (Plan Pauvreté)" in aap

    event = page(client, "/evenements/linnovation-sociale-tous-concernes/")
    assert "16h30" in event
    # The source writes no year: the weekday and the document's date (24/11/2021) give it,
    # and the page says so (tests/events/test_incomplete_dates.py).
    date = event.split("<dt>Date</dt>")[1].split("</dd>")[0]
    assert "2021" in date
    assert "année déduite du jour de la semaine et de la date du document" in date


def test_source_003_budgets_totals_are_computed(seed, client):
    cd54 = page(client, "/collectivites/meurthe-et-moselle/")
    assert "61\u00a0000\u00a0€" in cd54
    assert "219\u00a0380\u00a0€" in cd54
    assert Budget.objects.get(collectivite__slug="meurthe-et-moselle").total == 280380

    region = page(client, "/collectivites/region-grand-est/")
    assert "6\u00a0800\u00a0000\u00a0€" in region
    assert "Sylvie Marchal" in region

    haguenau = page(client, "/collectivites/ca-haguenau/")
    assert "Céline Spitz" in haguenau
    assert "environ 25\u00a0000\u00a0€" in haguenau


def test_source_003_rtes_pages(seed, client):
    strasbourg = page(client, "/collectivites/eurometropole-de-strasbourg/")
    assert "Jeanne Barseghian" in strasbourg
    assert "depuis 2012" in strasbourg

    agir = page(client, "/dispositifs/agiren54/")
    assert "Département de Meurthe-et-Moselle" in agir
    assert "Région Grand Est" in agir


def test_source_004_hauts_de_seine(seed, client):
    text = page(client, "/collectivites/hauts-de-seine/")
    assert "Observer et échanger" in text
    assert "La source ne donne aucun contact." in text

    matinee = page(client, "/evenements/la-matinee-des-financements-a-impact/")
    assert "22 novembre" in matinee
    assert "Paris La Défense Arena" in matinee


def test_source_is_shown_with_its_date(seed, client):
    text = page(client, "/collectivites/moselle/")

    assert "Les politiques ESS et Innovation Sociale du Département de la Moselle" in text
    assert "état au 2021-11-24" in text


def test_seed_with_an_unknown_territory_fails_loudly(tmp_path: Path):
    for name in ("sources.yaml", "themes.yaml"):
        (tmp_path / name).write_text((DEFAULT_SEED_DIR / name).read_text())
    (tmp_path / "collectivites").mkdir()
    (tmp_path / "collectivites" / "x.yaml").write_text(
        "slug: x\nname: X\nkind: commune\nterritory: commune-00000\n"
    )

    with pytest.raises(SeedError, match="territoire inconnu 'commune-00000'"):
        load_seed(directory=tmp_path)


def test_seed_command_reports_malformed_yaml(tmp_path: Path):
    (tmp_path / "sources.yaml").write_text("- code: [unclosed\n")

    with pytest.raises(CommandError, match="YAML invalide"):
        call_command("seed", "--skip-geography", directory=tmp_path, stdout=io.StringIO())


def test_seed_command_reports_a_missing_directory(tmp_path: Path):
    with pytest.raises(CommandError, match="Fichier introuvable"):
        call_command(
            "seed", "--skip-geography", directory=tmp_path / "absent", stdout=io.StringIO()
        )
