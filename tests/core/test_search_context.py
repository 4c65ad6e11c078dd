import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from actors.models import Actor
from core import search
from tests.factories import ActorFactory, ThemeFactory

pytestmark = pytest.mark.django_db


def contexts() -> dict[str, str]:
    return dict(Actor.objects.values_list("name", "search_context"))


def test_refresh_writes_every_changed_row_across_batches_and_only_those(monkeypatch):
    monkeypatch.setattr(search, "REFRESH_BATCH", 2)
    theme = ThemeFactory(name="Économie circulaire")
    for number in range(5):
        actor = ActorFactory(name=f"Atelier {number}")
        if number % 2:
            actor.themes.add(theme)
    Actor.objects.update(search_context="")
    Actor.objects.filter(name="Atelier 4").update(search_context="Toul")  # already right

    written = Actor.objects.all().refresh_search_context()

    assert written == 4
    assert contexts() == {
        "Atelier 0": "Toul",
        "Atelier 1": "Économie circulaire Toul",
        "Atelier 2": "Toul",
        "Atelier 3": "Économie circulaire Toul",
        "Atelier 4": "Toul",
    }
    # A second run finds nothing to write, and writes nothing.
    with CaptureQueriesContext(connection) as queries:
        assert Actor.objects.all().refresh_search_context() == 0
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]


def test_refresh_reads_a_batch_at_a_time(monkeypatch):
    monkeypatch.setattr(search, "REFRESH_BATCH", 2)
    for number in range(5):
        ActorFactory(name=f"Atelier {number}")
    Actor.objects.update(search_context="")

    with CaptureQueriesContext(connection) as queries:
        Actor.objects.all().refresh_search_context()

    reads = [q["sql"] for q in queries.captured_queries if 'FROM "actors_actor"' in q["sql"]]
    # Batches of 2, 2 and 1, then an empty read that ends the walk; never the whole table.
    limits = [sql.rsplit("LIMIT", 1)[-1].strip() for sql in reads if "LIMIT" in sql]
    assert limits == ["2", "2", "2", "2"]
