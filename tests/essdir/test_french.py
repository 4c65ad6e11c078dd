"""French that reads right: plurals of 0, the preposition and article before each
territory's name, no double parenthesis, themes in dictionary order, past events."""

import csv
import datetime
import html
import re

import pytest
from django.template import engines
from django.urls import reverse
from django.utils import translation

from actors.filters import ActorFilterSet
from essdir.languages import of, territory_in, to
from territories.geography import DEFAULT_EXTRACT_DIR
from territories.models import Territory, Theme
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db

# Every département of the data (fixtures/geography/departements.csv, from INSEE's list),
# as French says "in" it.
DEPARTEMENTS = {
    "01": "dans l'Ain",
    "02": "dans l'Aisne",
    "03": "dans l'Allier",
    "04": "dans les Alpes-de-Haute-Provence",
    "05": "dans les Hautes-Alpes",
    "06": "dans les Alpes-Maritimes",
    "07": "en Ardèche",
    "08": "dans les Ardennes",
    "09": "en Ariège",
    "10": "dans l'Aube",
    "11": "dans l'Aude",
    "12": "en Aveyron",
    "13": "dans les Bouches-du-Rhône",
    "14": "dans le Calvados",
    "15": "dans le Cantal",
    "16": "en Charente",
    "17": "en Charente-Maritime",
    "18": "dans le Cher",
    "19": "en Corrèze",
    "21": "en Côte-d'Or",
    "22": "dans les Côtes-d'Armor",
    "23": "en Creuse",
    "24": "en Dordogne",
    "25": "dans le Doubs",
    "26": "dans la Drôme",
    "27": "dans l'Eure",
    "28": "en Eure-et-Loir",
    "29": "dans le Finistère",
    "2A": "en Corse-du-Sud",
    "2B": "en Haute-Corse",
    "30": "dans le Gard",
    "31": "en Haute-Garonne",
    "32": "dans le Gers",
    "33": "en Gironde",
    "34": "dans l'Hérault",
    "35": "en Ille-et-Vilaine",
    "36": "dans l'Indre",
    "37": "en Indre-et-Loire",
    "38": "en Isère",
    "39": "dans le Jura",
    "40": "dans les Landes",
    "41": "en Loir-et-Cher",
    "42": "dans la Loire",
    "43": "en Haute-Loire",
    "44": "en Loire-Atlantique",
    "45": "dans le Loiret",
    "46": "dans le Lot",
    "47": "en Lot-et-Garonne",
    "48": "en Lozère",
    "49": "en Maine-et-Loire",
    "50": "dans la Manche",
    "51": "dans la Marne",
    "52": "en Haute-Marne",
    "53": "en Mayenne",
    "54": "en Meurthe-et-Moselle",
    "55": "dans la Meuse",
    "56": "dans le Morbihan",
    "57": "en Moselle",
    "58": "dans la Nièvre",
    "59": "dans le Nord",
    "60": "dans l'Oise",
    "61": "dans l'Orne",
    "62": "dans le Pas-de-Calais",
    "63": "dans le Puy-de-Dôme",
    "64": "dans les Pyrénées-Atlantiques",
    "65": "dans les Hautes-Pyrénées",
    "66": "dans les Pyrénées-Orientales",
    "67": "dans le Bas-Rhin",
    "68": "dans le Haut-Rhin",
    "69": "dans le Rhône",
    "70": "en Haute-Saône",
    "71": "en Saône-et-Loire",
    "72": "dans la Sarthe",
    "73": "en Savoie",
    "74": "en Haute-Savoie",
    "75": "à Paris",
    "76": "en Seine-Maritime",
    "77": "en Seine-et-Marne",
    "78": "dans les Yvelines",
    "79": "dans les Deux-Sèvres",
    "80": "dans la Somme",
    "81": "dans le Tarn",
    "82": "en Tarn-et-Garonne",
    "83": "dans le Var",
    "84": "dans le Vaucluse",
    "85": "en Vendée",
    "86": "dans la Vienne",
    "87": "en Haute-Vienne",
    "88": "dans les Vosges",
    "89": "dans l'Yonne",
    "90": "dans le Territoire de Belfort",
    "91": "en Essonne",
    "92": "dans les Hauts-de-Seine",
    "93": "en Seine-Saint-Denis",
    "94": "dans le Val-de-Marne",
    "95": "dans le Val-d'Oise",
    "971": "en Guadeloupe",
    "972": "en Martinique",
    "973": "en Guyane",
    "974": "à La Réunion",
    "975": "à Saint-Pierre-et-Miquelon",
    "976": "à Mayotte",
    "977": "à Saint-Barthélemy",
    "978": "à Saint-Martin",
    "984": "dans les Terres australes et antarctiques françaises",
    "986": "à Wallis et Futuna",
    "987": "en Polynésie française",
    "988": "en Nouvelle-Calédonie",
    "989": "sur l'Île de Clipperton",
}

# The seed's themes as a French dictionary orders them.
THEMES = [
    "Achats responsables et commande publique",
    "Alimentation et circuits courts",
    "Commerce équitable",
    "Coopération territoriale et réseaux",
    "Création et accompagnement d'activités",
    "Culture",
    "Économie circulaire et réemploi",
    "Énergies renouvelables",
    "Finance solidaire et financement participatif",
    "Habitat et bien vieillir à domicile",
    "Inclusion numérique",
    "Innovation sociale",
    "Insertion et emploi",
    "Jeunesse",
    "Mobilité",
    "Santé",
    "Solidarités et action sociale",
    "Tourisme et loisirs solidaires",
    "Vie associative et bénévolat",
]


@pytest.fixture
def fresh(settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0


def render(source: str, **context) -> str:
    return engines["jinja2"].from_string(source).render(context)


def meta_description(response) -> str:
    page = response.content.decode()
    return html.unescape(re.search(r'<meta name="description" content="([^"]*)"', page)[1])


# --- Plurals ------------------------------------------------------------------------------

COUNTED = (
    "{% trans counter=n %}{{ counter }} événement"
    "{% pluralize %}{{ counter }} événements{% endtrans %}"
)


@pytest.mark.parametrize(
    ("count", "text"), [(0, "0 événement"), (1, "1 événement"), (2, "2 événements")]
)
def test_french_counts_zero_and_one_in_the_singular(count, text):
    with translation.override("fr"):
        assert render(COUNTED, n=count) == text


def test_english_counts_zero_in_the_plural():
    with translation.override("en"):
        assert render(COUNTED, n=0) == "0 events"


def test_an_empty_agenda_says_0_evenement(client, fresh):
    response = client.get("/evenements/", {"q": "zzzzzz"})

    heading = re.search(r'<h2 id="results-title">(.*?)</h2>', response.content.decode(), re.S)[1]
    assert heading.strip() == "0 événement à venir"


# --- Where a territory is -----------------------------------------------------------------


def test_every_departement_of_the_data_gets_its_preposition_and_article():
    with open(DEFAULT_EXTRACT_DIR / "departements.csv", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))

    with translation.override("fr"):
        said = {
            row["code"]: territory_in(
                Territory(kind="departement", code=row["code"], name=row["name"])
            )
            for row in rows
        }

    assert said == DEPARTEMENTS


@pytest.mark.parametrize(
    ("slug", "said"),
    [
        ("region-44", "en Grand Est"),
        ("commune-57463", "à Metz"),
        ("commune-54395", "à Nancy"),
        ("epci-245400676", "dans la Métropole du Grand Nancy"),
        ("epci-246700488", "dans l'Eurométropole de Strasbourg"),
        ("epci-200067213", "dans la CU du Grand Reims"),
        ("groupement-pays-tdl", "dans le Pays Terres de Lorraine"),
        ("groupement-petr-langres", "dans le PETR du Pays de Langres"),
        ("groupement-cd54-grand-nancy", "dans le Territoire du Grand Nancy (CD54)"),
        ("ept-200057974", "sur le territoire de Grand Paris Seine Ouest"),
    ],
)
def test_territories_of_every_kind_get_their_preposition(territory, slug, said):
    with translation.override("fr"):
        assert territory_in(territory(slug)) == said


@pytest.mark.parametrize(
    ("kind", "name", "said"),
    [
        ("commune", "Le Havre", "au Havre"),
        ("commune", "Les Mureaux", "aux Mureaux"),
        ("commune", "La Caure", "à La Caure"),
        ("commune", "L'Haÿ-les-Roses", "à L'Haÿ-les-Roses"),
        ("region", "Hauts-de-France", "dans les Hauts-de-France"),
        ("ept", "Est Ensemble", "sur le territoire d'Est Ensemble"),
    ],
)
def test_articles_of_the_names_themselves(kind, name, said):
    codes = {"region": "32"}
    with translation.override("fr"):
        assert territory_in(Territory(kind=kind, code=codes.get(kind, "x"), name=name)) == said


def test_names_after_de_and_a():
    with translation.override("fr"):
        assert [
            of(name)
            for name in [
                "Département de la Moselle",
                "Ville de Metz",
                "Eurométropole de Strasbourg",
                "Est Ensemble",
            ]
        ] == [
            "du Département de la Moselle",
            "de la Ville de Metz",
            "de l'Eurométropole de Strasbourg",
            "d'Est Ensemble",
        ]
        assert [
            to(name)
            for name in [
                "Département de Meurthe-et-Moselle",
                "Communauté d'agglomération de Haguenau",
            ]
        ] == [
            "au Département de Meurthe-et-Moselle",
            "à la Communauté d'agglomération de Haguenau",
        ]


def test_english_pages_say_in(territory):
    with translation.override("en"):
        assert territory_in(territory("departement-54")) == "in Meurthe-et-Moselle"


def test_territory_pages_say_where_as_french_does(client, fresh, seed):
    assert meta_description(client.get("/territoires/departement-54/", follow=True)) == (
        "L'économie sociale et solidaire en Meurthe-et-Moselle : qui contacter, les dispositifs, "
        "le panorama, les acteurs et les événements."
    )
    assert meta_description(client.get("/territoires/departement-92/", follow=True)) == (
        "L'économie sociale et solidaire dans les Hauts-de-Seine : qui contacter, les dispositifs, "
        "le panorama, les acteurs et les événements."
    )
    metz = client.get("/territoires/commune-57463/", follow=True).content.decode()
    assert ">Trouver mon contact ESS à Metz</a>" in metz


def test_the_widget_of_a_departement_says_en(client, fresh, territory):
    meurthe_et_moselle = territory("departement-54")

    response = client.get(reverse("widget:territory", kwargs={"slug": meurthe_et_moselle.slug}))

    heading = re.search(r"<h1[^>]*>(.*?)</h1>", response.content.decode(), re.S)[1]
    assert html.unescape(re.sub(r"<[^>]+>", "", heading)).strip() == "L'ESS en Meurthe-et-Moselle"


# --- Sources ------------------------------------------------------------------------------


def test_a_source_whose_publisher_has_parentheses_gets_no_double_parenthesis(client, fresh, seed):
    page = html.unescape(client.get("/collectivites/meurthe-et-moselle/").content.decode())

    (item,) = [
        re.sub(r"<[^>]+>", "", line)
        for line in re.findall(r"<li>(.*?)</li>", page, re.S)
        if "adhérentes du RTES" in line
    ]
    assert item.startswith(
        "Fiches des collectivités adhérentes du RTES — RTES (Réseau des collectivités "
        "territoriales pour une ESS), état au 2025."
    )
    assert "))" not in page


# --- Themes -------------------------------------------------------------------------------


def test_themes_sort_as_a_french_dictionary(seed):
    assert [theme.name for theme in Theme.objects.all()] == THEMES


def test_theme_choices_of_the_filters_sort_as_a_french_dictionary(seed):
    choices = [
        str(label) for value, label in ActorFilterSet().form.fields["theme"].choices if value
    ]

    assert choices == THEMES


# --- Past events --------------------------------------------------------------------------


@pytest.fixture
def now(time_machine):
    time_machine.move_to(datetime.datetime(2026, 11, 22, 10, 0, tzinfo=datetime.UTC))


@pytest.mark.parametrize(
    ("start", "precision"),
    [(datetime.date(2019, 11, 1), "month"), (datetime.date(2026, 11, 2), "day")],
)
def test_a_past_event_says_it_is_past_and_offers_no_calendar(client, fresh, now, start, precision):
    event = EventFactory(start_date=start, date_precision=precision)

    page = html.unescape(client.get(event.get_absolute_url()).content.decode())

    assert '<p class="muted">Cet événement est passé.</p>' in page
    assert "Ajouter à mon agenda" not in page
    assert "ne peut pas encore" not in page


def test_an_upcoming_event_is_offered_to_a_calendar(client, fresh, now):
    event = EventFactory(start_date=datetime.date(2026, 12, 3))

    page = html.unescape(client.get(event.get_absolute_url()).content.decode())

    assert "Ajouter à mon agenda" in page
    assert "Cet événement est passé." not in page
