"""Two writers at once, for the tests of what must hold when they meet: each in its own
thread, so on its own database connection (PostgreSQL only: SQLite's test database lives in
memory), started together. Such tests run in transactional mode, from an empty database."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections

from territories.models import Territory, TerritoryInclusion, TerritoryKind


def at_once(*works: Callable[[], object], rounds: int = 30) -> list[Exception]:
    """Run each of `works` `rounds` times in a thread of its own, the threads started
    together; the errors raised (one at most a thread: it stops at its first)."""
    start = threading.Barrier(len(works))
    errors: list[Exception] = []

    def run(work):
        try:
            start.wait()
            for _ in range(rounds):
                work()
        except Exception as error:  # reported by the callers' assertions
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def fictive_departement() -> Territory:
    """A département of the test's own (a transactional test starts with no geography),
    containing itself as every territory does."""
    place = Territory.objects.create(
        kind=TerritoryKind.DEPARTEMENT,
        code="99",
        name="Fictif",
        slug="departement-99-fictif",
        short_slug="departement-99",
    )
    TerritoryInclusion.objects.create(container=place, member=place)
    return place
