import pytest

from core.caching import content_version
from territories.models import Theme
from tests.factories import CollectiviteFactory, ThemeFactory
from tests.geo import load_test_geography

pytestmark = pytest.mark.django_db


def test_anonymous_page_is_served_from_cache(client, django_assert_num_queries):
    CollectiviteFactory(name="Département en cache")
    first = client.get("/collectivites/")

    # The content version only: it lives in the database's shared cache, so that every
    # process sees a change at once.
    with django_assert_num_queries(1):
        second = client.get("/collectivites/")

    assert second.content == first.content
    assert "Département en cache" in second.content.decode()


def test_any_change_invalidates_cached_pages(client, django_capture_on_commit_callbacks):
    collectivite = CollectiviteFactory(name="Ancien nom")
    client.get("/collectivites/")

    with django_capture_on_commit_callbacks(execute=True):
        collectivite.name = "Nouveau nom"
        collectivite.save()

    assert "Nouveau nom" in client.get("/collectivites/").content.decode()


def test_conditional_get_answers_304_when_unchanged(client):
    CollectiviteFactory()
    etag = client.get("/collectivites/")["ETag"]

    response = client.get("/collectivites/", headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response["ETag"] == etag


def test_etag_changes_with_the_content(client, django_capture_on_commit_callbacks):
    collectivite = CollectiviteFactory()
    etag = client.get("/collectivites/")["ETag"]
    with django_capture_on_commit_callbacks(execute=True):
        collectivite.save()

    assert client.get("/collectivites/", headers={"If-None-Match": etag}).status_code == 200


def test_signed_in_staff_get_fresh_uncached_pages(client, admin_user, django_assert_num_queries):
    CollectiviteFactory()
    client.force_login(admin_user)
    client.get("/collectivites/")

    response = client.get("/collectivites/")

    assert "ETag" not in response
    assert response.status_code == 200


def test_error_pages_are_not_cached(client):
    client.get("/collectivites/", {"territoire": "nulle-part"})

    response = client.get("/collectivites/", {"territoire": "nulle-part"})

    assert response.status_code == 400
    assert "ETag" not in response


def test_page_cache_can_be_disabled(client, settings, django_assert_max_num_queries):
    settings.CACHE_MIDDLEWARE_SECONDS = 0
    client.get("/collectivites/")

    response = client.get("/collectivites/")

    assert "ETag" not in response


def test_a_lost_version_never_revives_an_old_page(client):
    from django.core.cache import cache

    from core.caching import VERSION_KEY

    collectivite = CollectiviteFactory(name="Avant")
    client.get("/collectivites/")
    collectivite.name = "Après"
    collectivite.save()
    cache.delete(VERSION_KEY)  # lost before the write's commit moved it on

    assert "Après" in client.get("/collectivites/").content.decode()


def test_version_moves_only_once_the_write_commits(client, django_capture_on_commit_callbacks):
    collectivite = CollectiviteFactory(name="Ancien nom")
    client.get("/collectivites/")
    before = content_version()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        collectivite.name = "Nouveau nom"
        collectivite.save()
        # A reader between the write and its commit must not store the old page under a
        # version that the commit would then vouch for.
        during = content_version()
    for callback in callbacks:
        callback()

    assert during == before
    assert content_version() != before
    assert "Nouveau nom" in client.get("/collectivites/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_an_edit_from_another_process_is_seen_at_once(client):
    """Two processes (a worker serving pages, a command or another worker writing) share
    what decides freshness: the version lives in the database's cache table."""
    import os
    import subprocess
    import sys

    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the in-memory SQLite test database cannot be shared with another process")
    # Transactional tests run last and empty the database: this one brings its territories.
    load_test_geography()
    collectivite = CollectiviteFactory(name="Ancien nom", slug="metz-test")
    assert "Ancien nom" in client.get("/collectivites/metz-test/").content.decode()
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )
    script = (
        "from territories.models import Collectivite; "
        f"c = Collectivite.objects.get(pk={collectivite.pk}); c.name = 'Nouveau nom'; c.save()"
    )

    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": url, "DEBUG": "0"},
        check=True,
        capture_output=True,
    )

    assert "Nouveau nom" in client.get("/collectivites/metz-test/").content.decode()


def test_filter_options_follow_a_change_at_once(
    client, settings, django_capture_on_commit_callbacks
):
    settings.CACHE_MIDDLEWARE_SECONDS = 0  # the options' memo alone, not the page cache
    ThemeFactory(name="Réemploi")
    assert '<option value="reemploi">Réemploi</option>' in client.get("/acteurs/").content.decode()

    # Unchanged content: the memoized options, read from the database no more.
    Theme.objects.filter(slug="reemploi").update(name="Sans effet tant que rien ne change")
    assert "Sans effet" not in client.get("/acteurs/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        ThemeFactory(name="Alimentation durable")

    options = client.get("/acteurs/").content.decode()
    assert '<option value="alimentation-durable">Alimentation durable</option>' in options
    assert "Sans effet tant que rien ne change" in options
