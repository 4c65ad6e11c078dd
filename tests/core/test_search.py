import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from actors.models import Actor
from core.search import (
    among_candidates,
    best_first,
    candidate_keys,
    chosen_keys,
    ranked_candidates,
)
from tests.factories import ActorFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="candidates bound PostgreSQL"),
]


def searched(word: str):
    return Actor.objects.published().search(word)


@pytest.mark.parametrize("others", [0, 1, 2, 3, 5, 6])
def test_the_candidates_count_and_say_whether_more_matched(others):
    ActorFactory(name="Recyclerie solidaire")
    for number in range(others):
        ActorFactory(name=f"Atelier {number}", description="Une épicerie solidaire.")
    ActorFactory(name="Sans rapport", description="Rien à voir.")
    matches = 1 + others

    ranked = ranked_candidates(searched("solidaire"), limit=2)

    names = [actor.name for actor in ranked.queryset]
    # The title match and 2 of all the matches (which may include it): 2 or 3 candidates,
    # every match when there are no more; "more" exactly when some match was left out,
    # whether the 2 × 2 + 1 probe was filled (6 others) or not.
    assert ranked.count == len(names) == len(set(names))
    assert min(matches, 2) <= ranked.count <= min(matches, 3)
    assert ranked.more == (matches > ranked.count)
    assert names[0] == "Recyclerie solidaire"  # the title match ranks first


def test_no_candidate_is_an_empty_list_not_an_error():
    ActorFactory(name="Recyclerie")

    ranked = ranked_candidates(searched("introuvable"), limit=2)

    assert (ranked.count, ranked.more, list(ranked.queryset)) == (0, False, [])


def test_a_list_in_another_order_is_not_bounded():
    ActorFactory(name="Recyclerie solidaire")

    assert ranked_candidates(searched("solidaire").order_by("name")) is None


def test_candidate_keys_flag_title_matches_and_bound_the_others():
    title = ActorFactory(name="Recyclerie solidaire")
    others = [
        ActorFactory(name=f"Atelier {number}", description="Une épicerie solidaire.")
        for number in range(4)
    ]
    ActorFactory(name="Sans rapport", description="Rien à voir.")

    rows = list(candidate_keys(searched("solidaire"), titles=5, others=3))

    assert [key for key, titled, _rank in rows if titled] == [title.pk]
    others_found = [key for key, titled, _rank in rows if not titled]
    assert len(others_found) == 3
    assert set(others_found) <= {title.pk, *(actor.pk for actor in others)}


def test_among_candidates_ranks_the_chosen_keys_alone_title_first():
    left_out = ActorFactory(name="Épicerie solidaire")
    plain = ActorFactory(name="Atelier", description="Une épicerie solidaire.")
    title = ActorFactory(name="Recyclerie solidaire")

    ranked = among_candidates(searched("solidaire"), f"{plain.pk},{title.pk}")

    assert [actor.name for actor in ranked] == ["Recyclerie solidaire", "Atelier"]
    assert left_out not in ranked


def test_best_first_orders_the_candidates_as_among_candidates_ranks_them():
    ActorFactory(name="Recyclerie solidaire")
    ActorFactory(name="Solidaire", description="Une épicerie solidaire, solidaire.")
    # Three of the same rank: the key decides between them, as in SQL.
    twins = [
        ActorFactory(name=f"Atelier {number}", description="Une épicerie solidaire.")
        for number in range(3)
    ]
    rows = list(candidate_keys(searched("solidaire"), titles=5, others=11))
    chosen, _matches = chosen_keys(rows, limit=5)

    ordered = best_first(rows, chosen)

    ranked = among_candidates(searched("solidaire"), ",".join(map(str, chosen)))
    assert ordered == [actor.pk for actor in ranked]
    assert [key for key in ordered if key in {twin.pk for twin in twins}] == [
        twin.pk for twin in twins
    ]


def test_a_searched_list_reads_its_page_by_key_without_ranking_again(client, settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0
    ActorFactory(name="Recyclerie solidaire")
    for number in range(3):
        ActorFactory(name=f"Atelier {number}", description="Une épicerie solidaire.")
    expected = [actor.name for actor in ranked_candidates(searched("solidaire")).queryset]

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/acteurs/", {"q": "solidaire"})

    # The candidates are ranked once, as their keys are read; the page's rows by key.
    rows = [
        query["sql"] for query in queries if '"actors_actor"."short_description"' in query["sql"]
    ]
    assert len(rows) == 1
    assert "ts_rank" not in rows[0]
    assert [actor.name for actor in response.context["object_list"]] == expected


# Words every one of the matching structures' names holds: the test searches the one whose
# start block lies past them, so that they are found only by the scan's second part.
WORDS = ["zorglub", "quetzal", "xylophone", "kangourou", "ornithorynque", "wapiti"]


def _start_block(word: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (hashtext(%s)::bigint & 2147483647) %% greatest(relpages, 1) "
            "FROM pg_class WHERE oid = 'actors_actor'::regclass",
            [word],
        )
        return cursor.fetchone()[0]


def test_a_large_tables_candidates_start_at_the_words_place_and_wrap_around():
    matching = [ActorFactory(name=f"{' '.join(WORDS)} {number}") for number in range(5)]
    # Structures after them, so that the table spans blocks enough for a start past them.
    Actor.objects.bulk_create(
        Actor(name=f"Sans rapport {n}", slug=f"sans-rapport-{n}", description="x" * 1500)
        for n in range(400)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE actors_actor")  # relpages, which the start is drawn from
        cursor.execute(
            "SELECT max((ctid::text::point)[0]) FROM actors_actor WHERE id = ANY(%s)",
            [[actor.pk for actor in matching]],
        )
        last_block = cursor.fetchone()[0]
    word = next(word for word in WORDS if _start_block(word) > last_block)

    reads = [
        sorted(key for key, _titled, _rank in candidate_keys(searched(word), titles=3, others=6))
        for _ in range(2)
    ]
    ranked = ranked_candidates(searched(word), limit=5)

    # Read from the table's beginning once its end was reached: every one found, the same
    # ones each time, as many as the bounds allow (3 title matches, then all 5 as others).
    keys = {actor.pk for actor in matching}
    assert reads[0] == reads[1]
    assert len(reads[0]) == 8 and set(reads[0]) == keys
    assert (ranked.count, ranked.more) == (5, False)


def _read_from_the_words_place(queryset) -> bool:
    # Whether the candidates' SQL holds the scan's start (a block of the table).
    sql, _params = candidate_keys(queryset, titles=3, others=6).query.sql_with_params()
    return ".ctid >= " in sql


def test_a_search_restricted_by_another_table_is_read_from_that_side(territory):
    commune = territory("commune-54528")
    inside = ActorFactory(name="Recyclerie solidaire", territory=commune)
    ActorFactory(name="Épicerie solidaire", territory=territory("commune-57463"))
    garage = ActorFactory(name="Garage solidaire", territory=commune, family="cooperative")
    restricted = {
        "a territory's places": searched("solidaire").in_territory(commune),
        "a territory, around it": searched("solidaire").around(commune),
        "a theme's structures": searched("solidaire").filter(themes__slug="inconnu"),
    }

    # Not from the words' place in the table: a territory holding fewer matches than the
    # bound had that scan read the whole table (2 x 100 ms around Toul on 200 000).
    assert {
        name: _read_from_the_words_place(qs) for name, qs in restricted.items()
    } == dict.fromkeys(restricted, False)
    assert _read_from_the_words_place(searched("solidaire"))
    # A condition on the structure's own columns keeps it (a family: most structures).
    assert _read_from_the_words_place(searched("solidaire").filter(family="cooperative"))
    found = candidate_keys(restricted["a territory's places"], titles=3, others=6)
    assert {key for key, _titled, _rank in found} == {inside.pk, garage.pk}
