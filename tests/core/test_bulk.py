import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from actors.models import Actor
from core.bulk import update_column
from tests.factories import ActorFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("count", [1, 3])
def test_update_column_sets_each_given_row_to_its_own_value_in_one_statement(count):
    actors = [ActorFactory() for _ in range(count)]
    untouched = ActorFactory(short_description="Gardée")
    values = {actor.pk: f"Résumé n° {number} ‘quoted’" for number, actor in enumerate(actors)}

    with CaptureQueriesContext(connection) as queries:
        written = update_column(Actor, field="short_description", values=values)

    assert written == count
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    stored = dict(Actor.objects.values_list("pk", "short_description"))
    assert stored == values | {untouched.pk: "Gardée"}


def test_update_column_with_nothing_to_write_sends_nothing():
    ActorFactory(short_description="Gardée")

    with CaptureQueriesContext(connection) as queries:
        written = update_column(Actor, field="short_description", values={})

    assert written == 0
    assert queries.captured_queries == []
    assert list(Actor.objects.values_list("short_description", flat=True)) == ["Gardée"]
