"""The ESS panorama of every territory, on a small dataset counted by hand."""

import io

import pytest
from django.core.management import call_command

from actors.derived import refresh_actor_places, refresh_panoramas
from actors.models import ActorPlace, Family, TerritoryPanorama
from actors.panorama import naf_section, panorama_read, size_group
from core.publication import PublicationStatus
from core.together import read_together
from tests.factories import ActorFactory, EstablishmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory(territory):
    """A: an association of Toul with an employer establishment there (10–49 employees, NAF
    88.99B) and a non-employer one in Metz (56.10A). B: a cooperative of Nancy with an
    establishment there (1–2 employees, 01.11Z) and a closed one in Toul. C, hidden, and D,
    a draft, both in Toul: never counted."""
    toul, nancy, metz = (territory(f"commune-{code}") for code in ("54528", "54395", "57463"))
    a = ActorFactory(name="A", family=Family.ASSOCIATION, territory=toul)
    EstablishmentFactory(actor=a, commune=toul, naf_code="88.99B", employees_band="11")
    EstablishmentFactory(actor=a, commune=metz, naf_code="56.10A", employees_band="NN")
    b = ActorFactory(name="B", family=Family.COOPERATIVE, territory=nancy)
    EstablishmentFactory(actor=b, commune=nancy, naf_code="01.11Z", employees_band="01")
    EstablishmentFactory(actor=b, commune=toul, is_active=False, employees_band="11")
    c = ActorFactory(name="C", family=Family.ASSOCIATION, territory=toul, hidden=True)
    EstablishmentFactory(actor=c, commune=toul, employees_band="12")
    ActorFactory(name="D", territory=toul, status=PublicationStatus.DRAFT)
    refresh_panoramas()


def figures(panorama):
    return (
        panorama.structures,
        panorama.establishments,
        panorama.employer_establishments,
        panorama.by_family,
        panorama.by_section,
        panorama.by_size,
    )


def test_panorama_of_a_commune_counts_what_acts_there(directory, territory):
    panorama = TerritoryPanorama.objects.get(territory=territory("commune-54528"))

    assert figures(panorama) == (
        1,
        1,
        1,
        {"association": {"structures": 1, "establishments": 1}},
        {"Q": 1},
        {"10-49": 1},
    )


def test_panorama_of_a_departement_adds_its_communes(directory, territory):
    panorama = TerritoryPanorama.objects.get(territory=territory("departement-54"))

    assert figures(panorama) == (
        2,
        2,
        2,
        {
            "association": {"structures": 1, "establishments": 1},
            "cooperative": {"structures": 1, "establishments": 1},
        },
        {"Q": 1, "A": 1},
        {"10-49": 1, "1-9": 1},
    )


def test_panorama_counts_a_structure_where_it_has_an_establishment(directory, territory):
    panorama = TerritoryPanorama.objects.get(territory=territory("departement-57"))

    assert figures(panorama) == (
        1,
        1,
        0,
        {"association": {"structures": 1, "establishments": 1}},
        {"I": 1},
        {},
    )


def test_national_panorama_counts_each_structure_once(directory, territory):
    national = TerritoryPanorama.objects.national().get()
    region = TerritoryPanorama.objects.get(territory=territory("region-44"))

    assert figures(national)[:3] == (2, 3, 2)
    assert figures(region)[:3] == (2, 3, 2)
    assert national.by_section == {"Q": 1, "I": 1, "A": 1}


def test_panorama_per_thousand_inhabitants(directory, territory):
    toul = territory("commune-54528")
    panorama = TerritoryPanorama.objects.get(territory=toul)

    assert panorama.population == toul.population
    assert panorama.structures_per_thousand == round(1000 / toul.population, 2)
    assert panorama.employer_share == 100.0


def test_compared_with_gives_the_territory_then_departement_region_france(directory, territory):
    columns = TerritoryPanorama.objects.compared_with(territory("commune-54528")).columns

    assert [(column.name, column.structures) for column in columns] == [
        ("Toul", 1),
        ("Meurthe-et-Moselle", 2),
        ("Grand Est", 2),
        ("France", 2),
    ]


def test_compared_with_gives_zeros_where_nothing_acts(directory, territory):
    national = TerritoryPanorama.objects.national().get()

    here = TerritoryPanorama.objects.compared_with(territory("commune-54395")).here
    empty = TerritoryPanorama.objects.compared_with(territory("commune-54547")).here

    assert (here.name, here.structures) == ("Nancy", 1)
    assert (empty.structures, empty.establishments, empty.computed_at) == (
        0,
        0,
        national.computed_at,
    )


def test_compared_with_is_empty_before_the_first_computation(territory):
    assert TerritoryPanorama.objects.compared_with(territory("commune-54528")).columns == []


def test_territory_page_shows_the_panorama_and_its_charts(directory, client):
    html = client.get("/territoires/departement-54-meurthe-et-moselle/").content.decode()

    assert "Panorama de l'ESS calculé par l'annuaire" in html
    assert (
        '<svg role="img" aria-labelledby="graphique-familles-titre graphique-familles-desc"' in html
    )
    assert '<desc id="graphique-activites-desc">' in html
    assert "Q – Santé humaine et action sociale : 1" in html
    assert "L'annuaire recense ici <strong>2</strong> structures de l'ESS" in html


def test_collectivite_page_shows_the_computed_panorama_apart(directory, client, territory):
    from tests.factories import CollectiviteFactory

    collectivite = CollectiviteFactory(territory=territory("departement-54"))
    collectivite.panorama = "Selon la source, 800 structures."
    collectivite.save()

    html = client.get(collectivite.get_absolute_url()).content.decode()

    assert "Panorama de l'ESS selon la collectivité" in html
    assert "Selon la source, 800 structures." in html
    assert "Panorama de l'ESS calculé par l'annuaire" in html


def test_refresh_panoramas_command_reports_what_it_wrote(directory):
    out = io.StringIO()

    call_command("refresh_panoramas", stdout=out)

    assert out.getvalue().startswith(f"{ActorPlace.objects.count()} places, ")
    assert TerritoryPanorama.objects.national().count() == 1


def test_places_follow_a_change_of_territory(directory, territory):
    b = ActorPlace.objects.filter(actor__name="B")
    b.first().actor.__class__.objects.filter(name="B").update(territory=territory("commune-54528"))

    refresh_actor_places(actor_ids=[b.first().actor_id])

    assert set(b.values_list("territory__short_slug", flat=True)) >= {
        "commune-54528",
        "commune-54395",
        "departement-54",
    }


@pytest.mark.parametrize(
    ("code", "section"),
    [("88.99B", "Q"), ("01.11Z", "A"), ("99.00Z", "U"), ("", "?"), ("XX", "?"), ("04.00", "?")],
)
def test_naf_section(code, section):
    assert naf_section(code) == section


@pytest.mark.parametrize(
    ("band", "group"), [("00", "0"), ("03", "1-9"), ("53", "250+"), ("NN", None)]
)
def test_size_group(band, group):
    assert size_group(band) == group


def test_panorama_charts_are_translated_on_english_pages(directory, client):
    html = client.get("/en/territoires/departement-54-meurthe-et-moselle/").content.decode()

    assert "<figcaption>Organisations by SSE family</figcaption>" in html
    assert "<figcaption>Establishments by sector of activity (NAF)</figcaption>" in html


@pytest.mark.parametrize(
    ("slug", "names"),
    [
        ("commune-54528", ["Toul", "Meurthe-et-Moselle", "Grand Est", "France"]),
        # A département or a région is compared with what contains it, never with itself.
        ("departement-54", ["Meurthe-et-Moselle", "Grand Est", "France"]),
        ("region-44", ["Grand Est", "France"]),
    ],
)
def test_the_pages_panorama_read_compares_as_compared_with(directory, territory, slug, names):
    place = territory(slug)

    presenter = read_together(panorama=panorama_read(place))["panorama"]

    expected = TerritoryPanorama.objects.compared_with(place).columns
    assert [column.name for column in presenter.comparison.columns] == names
    assert [(c.name, c.structures) for c in presenter.comparison.columns] == [
        (c.name, c.structures) for c in expected
    ]
    assert presenter.coverage.imported is False  # read with it: no import recorded here
