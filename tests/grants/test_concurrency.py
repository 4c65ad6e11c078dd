"""Two imports of one file at once store it once (idempotent), on PostgreSQL with two
connections and threads; the same interleaving checked deterministically on any database."""

import io
import threading

import pytest
from django.conf import settings
from django.db import connections

from grants.models import Grant, GrantFile
from grants.services import import_grants
from territories.models import Collectivite, Territory
from tests.grants.conftest import data, run_import


@pytest.mark.django_db
def test_an_import_finding_the_same_file_stored_meanwhile_changes_nothing(attribuant):
    """Import A is checked; import B of the same file runs whole; then A stores nothing."""
    content = data("subventions-valide.csv")
    inner = []

    report = run_import(
        content, attribuant, before_store=lambda: inner.append(run_import(content, attribuant))
    )

    assert inner[0].ok and inner[0].grant_file is not None
    assert report.ok and report.unchanged
    assert GrantFile.objects.count() == 1 and Grant.objects.count() == 5


@pytest.mark.django_db
def test_a_corrected_file_stored_meanwhile_is_replaced_by_the_later_import(attribuant):
    corrected = data("subventions-2024-corrige.csv")

    report = run_import(
        data("subventions-valide.csv"),
        attribuant,
        before_store=lambda: run_import(corrected, attribuant),
    )

    assert report.ok and report.replaced == 3
    assert Grant.objects.count() == 5
    assert set(Grant.objects.values_list("file", flat=True)) == {report.grant_file.pk}


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not settings.DATABASE_IS_POSTGRES,
    reason="two writers at once need PostgreSQL (SQLite's test database lives in memory)",
)
def test_two_imports_of_one_file_at_once_store_it_once():
    # Transactional tests start from an empty database: a territory of their own.
    territory = Territory.objects.create(
        kind="departement",
        code="99",
        name="Fictif",
        slug="departement-99-fictif",
        short_slug="departement-99",
    )
    attribuant = Collectivite.objects.create(
        name="Département Fictif",
        slug="departement-fictif",
        kind="departement",
        territory=territory,
        status="published",
    )
    content = data("subventions-valide.csv")
    start = threading.Barrier(2)
    reports = [None, None]

    def work(index):
        try:
            start.wait()
            reports[index] = import_grants(
                io.BytesIO(content), name="valide.csv", collectivite=attribuant
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert all(report.ok for report in reports), [r.lines() for r in reports]
    assert sorted(report.unchanged for report in reports) == [False, True]
    assert GrantFile.objects.count() == 1 and Grant.objects.count() == 5
