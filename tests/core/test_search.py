import pytest
from django.db import connection

from actors.models import Actor
from core.search import ranked_candidates
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
