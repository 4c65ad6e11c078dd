"""An honest embedded default: without a (recent) import of the SIRENE register, the
panorama says it counts the directory's structures and compares nothing, an empty map says
why and how to fill it; `load_sirene_sample` loads a fictitious sample through the normal
import, named as such on every page it touches, and `--remove` takes it away."""

import datetime
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from actors.coverage import SAMPLE_MARK, sample_actors, sirene_coverage
from actors.derived import refresh_derived_data
from actors.models import Actor, Establishment, ImportRun, MapCell, TerritoryPanorama
from tests.essdir.test_views import Page
from tests.factories import ActorFactory, EstablishmentFactory, territory

pytestmark = pytest.mark.django_db

MEURTHE = "/territoires/departement-54/"
NO_IMPORT = "Aucun import du répertoire SIRENE n'est enregistré"
EMPTY_MAP = "La carte est vide : l'annuaire ne compte encore aucun établissement."


def imported(days_ago: int, name: str = "StockUniteLegale_utf8.zip") -> ImportRun:
    return ImportRun.objects.create(
        kind=ImportRun.Kind.IMPORT,
        completed_at=timezone.now() - datetime.timedelta(days=days_ago),
        files=[{"role": "units", "name": name}],
    )


def panorama_headers(response) -> list[str]:
    table = response.content.decode().split('class="panorama-table"')[1].split("</thead>")[0]
    return [
        re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<th scope=\"col\">(.*?)</th>", table)
    ]


def text(client, url: str) -> str:
    return " ".join(Page(client.get(url, follow=True)).text.split())


def test_without_sirene_import_the_panorama_counts_the_directory_and_compares_nothing(client, seed):
    response = client.get(MEURTHE, follow=True)

    page = " ".join(Page(response).text.split())
    assert response.context["panorama"].directory_only is True
    assert panorama_headers(response) == ["Indicateur", "Meurthe-et-Moselle"]
    assert f"{NO_IMPORT} : ces chiffres comptent les structures que l'annuaire publie" in page
    assert "pour 1 000 habitants" not in page
    # The home page says so of its counts too.
    assert f"{NO_IMPORT} : ces nombres comptent les structures des sources" in text(client, "/")


def test_a_recent_import_compares_and_an_old_one_says_its_date(client, seed, settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0
    run = imported(days_ago=10)

    recent = client.get(MEURTHE, follow=True)
    run.completed_at = timezone.now() - datetime.timedelta(days=101)
    run.save()
    old = client.get(MEURTHE, follow=True)

    assert panorama_headers(recent) == ["Indicateur", "Meurthe-et-Moselle", "Grand Est", "France"]
    assert "Structures pour 1 000 habitants" in Page(recent).text
    assert "Aucun import" not in Page(recent).text
    assert panorama_headers(old) == ["Indicateur", "Meurthe-et-Moselle"]
    date = timezone.localdate(run.completed_at)
    assert f"Le dernier import du répertoire SIRENE date du {date.day} " in " ".join(
        Page(old).text.split()
    )
    assert "il y a plus de 100 jours" in Page(old).text


def test_an_empty_map_says_why_and_how_to_fill_it(client, seed, settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0

    empty = text(client, "/acteurs/")
    EstablishmentFactory(
        actor=Actor.objects.get(slug="envie"),
        commune=territory("commune-54528"),
        latitude=48.68,
        longitude=5.89,
    )
    filled = text(client, "/acteurs/")

    assert EMPTY_MAP in empty
    assert "python manage.py import_sirene" in empty
    assert "python manage.py load_sirene_sample" in empty
    assert EMPTY_MAP not in filled


@pytest.mark.parametrize("count", [1, 3])
def test_territory_page_reads_the_coverage_once(client, django_assert_num_queries, count):
    for _ in range(count):
        EstablishmentFactory(actor=ActorFactory(), commune=territory("commune-54528"))
    refresh_derived_data()

    # The page's queries (tests/territories/test_views.py), with the record of the imports
    # read once for the panorama and the map, and, none recorded, whether any establishment
    # is located (the map's note). 34 more: the first page ever read initialises the versions
    # of its 7 page-cache tags (core.caching) and of the one its territory's id is kept
    # under, in the database's cache table here (add(): 4 queries each, two reads).
    # PostgreSQL receives every read that needs the territory alone together (its lists,
    # the panorama with the record of the imports, the links serving it and acting there,
    # its schemes: core.together.read_together), then the contacts they name: 10 fewer.
    with django_assert_num_queries((4 if connection.vendor == "postgresql" else 15) + 34):
        response = client.get("/territoires/commune-54528-toul/")

    assert response.context["counts"]["structures"].value == count
    assert response.context["panorama"].directory_only is True


def test_sample_is_loaded_through_the_import_and_named_on_every_page(client, seed, settings):
    settings.DEBUG = True
    settings.CACHE_MIDDLEWARE_SECONDS = 0

    call_command("load_sirene_sample", structures=12, stdout=io.StringIO())

    sample = list(sample_actors().order_by("pk"))
    assert len(sample) == 12
    assert all(actor.name.startswith(SAMPLE_MARK) for actor in sample)
    assert Establishment.objects.filter(actor__in=sample).count() == 12 + 4 + 2
    assert Actor.objects.count() == 54 + 12
    assert sirene_coverage().sample is True
    assert sirene_coverage().imported is False
    # The normal import rebuilt the derived data: the sample is on the map and counted.
    assert sum(MapCell.objects.values_list("count", flat=True)) == 18
    assert TerritoryPanorama.objects.national().get().structures == 54 + 12
    nancy = next(actor for actor in sample if "Nancy" in actor.name)
    assert "Structure fictive : elle vient de l'échantillon" in text(
        client, nancy.get_absolute_url()
    )
    assert "l'échantillon fictif chargé pour une démonstration" in text(client, "/acteurs/")
    assert "Ils comprennent l'échantillon fictif « [Exemple fictif] »" in text(client, MEURTHE)
    assert "Ces nombres comprennent l'échantillon fictif" in text(client, "/")
    in_nancy = client.get("/acteurs/", {"territoire": "commune-54395", "q": "fictif"})
    names = [actor.name for actor in in_nancy.context["object_list"]]
    assert names and all(name.startswith(f"{SAMPLE_MARK} ") for name in names)


def test_sample_is_removed_whole(client, seed, settings):
    settings.DEBUG = True
    call_command("load_sirene_sample", structures=5, stdout=io.StringIO())

    call_command("load_sirene_sample", remove=True, stdout=io.StringIO())

    assert sample_actors().count() == 0
    assert Establishment.objects.count() == 0
    assert MapCell.objects.count() == 0
    assert ImportRun.objects.count() == 0
    assert sirene_coverage().sample is False
    assert TerritoryPanorama.objects.national().get().structures == 54


def test_sample_is_refused_over_real_sirene_data_and_outside_debug(seed, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG est désactivé"):
        call_command("load_sirene_sample")

    settings.DEBUG = True
    ActorFactory(name="Vraie association", siren="123456782", sirene_imported_at=timezone.now())
    with pytest.raises(CommandError, match="contient déjà des données du répertoire SIRENE"):
        call_command("load_sirene_sample")

    assert sample_actors().count() == 0
