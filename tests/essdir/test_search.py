"""Search behaves the same for users on SQLite and PostgreSQL (full-text on the latter)."""

import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

import core.search
import essdir.search
from actors.models import Actor
from events.models import Event
from territories.models import Scheme
from tests.factories import ActorFactory, CollectiviteFactory, EventFactory, SchemeFactory

pytestmark = pytest.mark.django_db


def names(queryset):
    return [str(obj) for obj in queryset]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("economie solidaire", ["Fonds pour l'Économie sociale et solidaire"]),
        ("ÉCONOMIE", ["Fonds pour l'Économie sociale et solidaire"]),
        ("coopérative", ["Bourses aux coopératives"]),
        ("insertion", ["Aide à l'insertion"]),
        ("cooperatives", ["Bourses aux coopératives"]),
    ],
)
def test_scheme_search_is_french_aware(query, expected):
    SchemeFactory(name="Fonds pour l'Économie sociale et solidaire")
    SchemeFactory(name="Bourses aux coopératives")
    SchemeFactory(name="Aide à l'insertion")

    assert names(Scheme.objects.search(query)) == expected


def test_title_weighs_more_than_the_body():
    ActorFactory(name="Atelier vélo", description="Réparation, insertion et mobilité.")
    ActorFactory(name="Chantier d'insertion", description="Espaces verts.")

    assert names(Actor.objects.search("insertion")) == ["Chantier d'insertion", "Atelier vélo"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="stemming needs PostgreSQL")
def test_postgresql_stems_verbs_and_plurals():
    EventFactory(title="Forum des entreprises solidaires")

    assert names(Event.objects.search("entreprise solidaire")) == [
        "Forum des entreprises solidaires"
    ]


def test_search_is_kept_up_to_date_on_save():
    actor = ActorFactory(name="Recyclerie")
    actor.name = "Ressourcerie"
    actor.save()

    assert names(Actor.objects.search("ressourcerie")) == ["Ressourcerie"]
    assert names(Actor.objects.search("recyclerie")) == []


def test_search_page_groups_results_and_links_to_each_filtered_list(client):
    CollectiviteFactory(name="Métropole solidaire")
    ActorFactory(name="Épicerie solidaire")

    response = client.get("/recherche/", {"q": "solidaire"})

    groups = {g["title"]: g for g in response.context["groups"]}
    assert groups["Acteurs"]["count"] == 1
    assert groups["Acteurs"]["list_url"] == "/acteurs/?q=solidaire"
    assert groups["Collectivités"]["count"] == 1


def test_search_page_counts_each_kind_up_to_its_bound_and_keeps_the_best(client, monkeypatch):
    monkeypatch.setattr(essdir.search, "COUNT_UP_TO", 2)
    monkeypatch.setattr(essdir.search, "CANDIDATES", 2)
    ActorFactory(name="Atelier", description="Insertion par le vélo.")
    ActorFactory(name="Bâtiment", description="Insertion par le bâtiment.")
    ActorFactory(name="Chantier d'insertion")
    EventFactory(title="Forum de l'insertion")

    response = client.get("/recherche/", {"q": "insertion"})

    groups = {g["title"]: g for g in response.context["groups"]}
    assert groups["Acteurs"]["count_label"] == "plus de 2"
    assert groups["Événements"]["count_label"] == "1"
    # The title match ranks first whatever the bound on the others.
    assert (
        html.unescape(groups["Acteurs"]["results"][0].title) == "Chantier d'<mark>insertion</mark>"
    )
    text = html.unescape(response.content.decode())
    assert "Plus de 3 résultats pour « insertion »" in text
    assert 'Acteurs <span class="muted">(plus de 2)</span>' in text


def test_search_page_reads_every_kind_s_candidates_in_one_statement(client):
    ActorFactory(name="Chantier d'insertion")
    ActorFactory(name="Atelier", description="Insertion par le vélo.")
    EventFactory(title="Forum de l'insertion")
    SchemeFactory(name="Aide à l'insertion")

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/recherche/", {"q": "insertion"})

    # Each kind's matches are read once, in one statement (its keys count it and choose
    # what is ranked); nothing else reads them whole, nor counts.
    reading = [q["sql"] for q in queries.captured_queries if "essdir_part" in q["sql"]]
    assert len(reading) == 1
    assert [f"SELECT {index} AS essdir_part" in reading[0] for index in range(5)] == [True] * 5
    counting = [
        q["sql"]
        for q in queries.captured_queries
        if "COUNT(*)" in q["sql"] and "essdir_cache" not in q["sql"]  # the cache culls
    ]
    assert counting == []
    counts = {g["title"]: g["count"] for g in response.context["groups"]}
    assert counts == {
        "Collectivités": 0,
        "Dispositifs": 1,
        "Acteurs": 2,
        "Événements": 1,
        "Contacts": 0,
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="candidates bound PostgreSQL")
def test_list_ranked_by_relevance_says_more_matched_than_it_ranks(client, monkeypatch):
    monkeypatch.setattr(core.search, "SEARCH_CANDIDATES", 1)
    ActorFactory(name="Atelier", description="Insertion par le vélo.")
    ActorFactory(name="Bâtiment", description="Insertion par le bâtiment.")
    ActorFactory(name="Chantier d'insertion")

    ranked = client.get("/acteurs/", {"q": "insertion"})
    by_name = client.get("/acteurs/", {"q": "insertion", "tri": "nom"})

    # One title match and one other are ranked, the title match first; the heading says
    # more matched.
    listed = [a.name for a in ranked.context["object_list"]]
    assert listed[0] == "Chantier d'insertion"
    assert len(listed) == 2
    assert "Plus de 2 acteurs" in html.unescape(ranked.content.decode())
    # Listed by name, every match is counted.
    assert by_name.context["paginator"].count == 3
    assert "3 acteurs" in html.unescape(by_name.content.decode())


def test_list_q_orders_by_relevance(client):
    ActorFactory(name="Bâtiment", description="Insertion par le bâtiment.")
    ActorFactory(name="Zèbre insertion")

    response = client.get("/acteurs/", {"q": "insertion"})

    assert [a.name for a in response.context["object_list"]] == ["Zèbre insertion", "Bâtiment"]


@pytest.fixture
def fresh(settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0


def test_search_result_says_what_who_where_and_why(client, seed, fresh):
    response = client.get("/recherche/", {"q": "okote"})

    schemes = next(g for g in response.context["groups"] if g["title"] == "Dispositifs")
    (scheme,) = [
        r
        for r in schemes["results"]
        if str(r.title) == "<mark>OKOTE</mark> plateforme de financement participatif"
    ]
    text = response.content.decode()
    assert scheme.kind == "Dispositif"
    assert scheme.carriers == [
        ("Département de Meurthe-et-Moselle", "/collectivites/meurthe-et-moselle/")
    ]
    assert "<mark>OKOTE</mark>" in str(scheme.title)
    assert "<mark>OKOTE</mark>, plateforme de financement participatif" in str(scheme.excerpt)
    assert 'Porté par <a href="/collectivites/meurthe-et-moselle/">' in text


def test_search_finds_structures_by_their_theme(client, seed, fresh):
    response = client.get("/recherche/", {"q": "économie circulaire"})

    actors = next(g for g in response.context["groups"] if g["title"] == "Acteurs")
    listed = client.get(actors["list_url"]).context["object_list"]
    envie = next(r for r in actors["results"] if str(r.title) == "Envie")
    assert actors["count"] == 9
    assert {"Envie", "ADTL", "De laine en rêves"} <= {actor.name for actor in listed}
    assert "<mark>Économie</mark> <mark>circulaire</mark> et réemploi" in str(envie.excerpt)


def test_search_can_be_narrowed_to_a_territory(client, seed, fresh):
    everywhere = client.get("/recherche/", {"q": "emploi"})
    in_moselle = client.get("/recherche/", {"q": "emploi", "territoire": "Moselle"})

    assert in_moselle.status_code == 200
    assert in_moselle.context["territory"].short_slug == "departement-57"
    assert 0 < in_moselle.context["total"] < everywhere.context["total"]


def test_highlight_marks_words_whatever_their_accents_and_plural():
    from core.snippets import highlight

    html, matched = highlight("Les Coopératives d'économie solidaire", "cooperative economie")

    assert matched == 2
    assert str(html) == ("Les <mark>Coopératives</mark> d&#x27;<mark>économie</mark> solidaire")


def test_highlight_cuts_an_excerpt_around_the_first_match():
    from core.snippets import highlight

    text = "début " * 50 + "le réemploi solidaire " + "fin " * 50

    html, matched = highlight(text, "réemploi", width=60)

    assert matched == 1
    assert str(html).startswith("… ")
    assert str(html).endswith(" …")
    assert "<mark>réemploi</mark>" in str(html)
    assert len(str(html)) < 100


def test_highlight_escapes_markup():
    from core.snippets import highlight

    html, found = highlight("<b>emploi</b>", "emploi")

    assert (str(html), found) == ("&lt;b&gt;<mark>emploi</mark>&lt;/b&gt;", 1)


def _plans_of_the_chosen_rows():
    """Each prepared statement reading structures by chosen keys on this connection, by
    name: (generic plans, custom plans)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE %s AND statement LIKE %s",
            ["%string_to_array%", '%FROM "actors_actor"%'],
        )
        return {name: (generic, custom) for name, generic, custom in cursor.fetchall()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statements kept on PostgreSQL")
def test_the_chosen_rows_are_read_with_one_plan_for_every_word(client, settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0
    ActorFactory(name="Recyclerie solidaire", description="Un atelier de réemploi.")
    ActorFactory(name="Atelier vélo", description="Réparation et réemploi.")
    # The connection is the session's: earlier tests may have prepared statements of other
    # shapes (a territory, other kinds); only what these three searches ran is compared.
    before = _plans_of_the_chosen_rows()

    for word in ["solidaire", "réemploi", "atelier"]:
        assert client.get("/recherche/", {"q": word}).status_code == 200

    # The rows of the chosen keys (a lookup by key, whatever the words): planned once.
    ran = {
        name: (generic - before.get(name, (0, 0))[0], custom - before.get(name, (0, 0))[1])
        for name, (generic, custom) in _plans_of_the_chosen_rows().items()
        if (generic, custom) != before.get(name)
    }
    assert list(ran.values()) == [(3, 0)]
