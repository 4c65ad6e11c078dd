"""The page cache keyed by what each page shows (core.caching's tags): a write rebuilds the
pages it affects, and only those; no page outlives a change to what it shows."""

import pytest
from django.core.cache import caches

from actors.derived import refresh_actor_places
from actors.models import Actor
from core import caching
from essdir.views import ActorDetailView
from territories.models import Theme
from tests.factories import (
    ActorFactory,
    CollectiviteFactory,
    EventFactory,
    EventParticipationFactory,
    ThemeFactory,
    territory,
)

pytestmark = pytest.mark.django_db

METZ, TOUL, EPINAL = "commune-57463", "commune-54528", "commune-88160"


def cached(client, url: str) -> bool:
    """Whether `url` was served from the page cache (it must answer 200)."""
    before = caching.stats["hit"]
    response = client.get(url)
    assert response.status_code == 200, url
    return caching.stats["hit"] == before + 1


def warm(client, *urls: str) -> None:
    for url in urls:
        assert not cached(client, url), f"{url} was cached before the test"
        assert cached(client, url), f"{url} is not cached"


def page_of(place: str) -> str:
    return territory(place).get_absolute_url()


def listed_in(place: str) -> str:
    return f"/acteurs/?territoire={place}"


@pytest.fixture
def two_structures():
    a = ActorFactory(name="Structure A", territory=territory(METZ))
    b = ActorFactory(name="Structure B", territory=territory(TOUL))
    return a, b


def test_a_write_to_one_structure_rebuilds_only_the_pages_that_show_it(
    client, two_structures, django_capture_on_commit_callbacks
):
    a, b = two_structures
    a_page, b_page = a.get_absolute_url(), b.get_absolute_url()
    warm(
        client,
        a_page,
        b_page,
        "/acteurs/",
        listed_in(METZ),
        listed_in("departement-57"),
        listed_in("region-44"),
        listed_in(TOUL),
        listed_in("departement-54"),
        page_of("departement-57"),
        page_of("departement-54"),
    )

    with django_capture_on_commit_callbacks(execute=True):
        a.description = "Une présentation toute neuve."
        a.save()

    # What shows A: rebuilt, with the change.
    assert not cached(client, a_page)
    assert "Une présentation toute neuve." in client.get(a_page).content.decode()
    for url in (
        "/acteurs/",
        listed_in(METZ),
        listed_in("departement-57"),
        listed_in("region-44"),
        page_of("departement-57"),
    ):
        assert not cached(client, url), url
    # What does not: still served from the cache.
    for url in (b_page, listed_in(TOUL), listed_in("departement-54"), page_of("departement-54")):
        assert cached(client, url), url


def test_an_unchanged_page_keeps_its_etag_across_others_writes(
    client, two_structures, django_capture_on_commit_callbacks
):
    a, b = two_structures
    etag = client.get(b.get_absolute_url())["ETag"]
    a_etag = client.get(a.get_absolute_url())["ETag"]

    with django_capture_on_commit_callbacks(execute=True):
        a.description = "Autre chose"
        a.save()

    assert client.get(b.get_absolute_url(), headers={"If-None-Match": etag}).status_code == 304
    response = client.get(a.get_absolute_url(), headers={"If-None-Match": a_etag})
    assert response.status_code == 200


def test_a_structure_moving_departement_rebuilds_both_departements(
    client, django_capture_on_commit_callbacks
):
    a = ActorFactory(name="Structure qui déménage", territory=territory(METZ))
    ActorFactory(name="Structure des Vosges", territory=territory(EPINAL))
    moselle, meurthe = listed_in("departement-57"), listed_in("departement-54")
    vosges = listed_in("departement-88")
    warm(client, moselle, meurthe, vosges, page_of("departement-54"))

    with django_capture_on_commit_callbacks(execute=True):
        a.territory = territory(TOUL)
        a.save()
        refresh_actor_places(actor_ids=[a.pk])  # as the admin and the services do

    assert not cached(client, moselle)
    assert not cached(client, meurthe)
    assert not cached(client, page_of("departement-54"))
    assert cached(client, vosges)
    assert "Structure qui déménage" not in client.get(moselle).content.decode()
    assert "Structure qui déménage" in client.get(meurthe).content.decode()
    assert "Structure qui déménage" in client.get(page_of("departement-54")).content.decode()


def test_a_theme_renamed_rebuilds_the_lists_and_pages_naming_it(
    client, django_capture_on_commit_callbacks
):
    theme = ThemeFactory(name="Réemploi")
    a = ActorFactory(name="Ressourcerie", territory=territory(METZ))
    a.themes.add(theme)
    urls = ["/acteurs/", listed_in("departement-57"), a.get_absolute_url()]
    warm(client, *urls)

    with django_capture_on_commit_callbacks(execute=True):
        theme.name = "Réemploi et réparation"
        theme.save()

    for url in urls:
        assert not cached(client, url), url
        assert "Réemploi et réparation" in client.get(url).content.decode()


def test_a_theme_given_to_one_structure_leaves_the_others_cached(
    client, two_structures, django_capture_on_commit_callbacks
):
    a, b = two_structures
    theme = ThemeFactory(name="Réemploi")
    warm(client, a.get_absolute_url(), b.get_absolute_url(), listed_in(TOUL), listed_in(METZ))

    with django_capture_on_commit_callbacks(execute=True):
        a.themes.add(theme)  # the relation changed, not the theme: its family stays

    assert not cached(client, a.get_absolute_url())
    assert not cached(client, listed_in(METZ))
    assert cached(client, b.get_absolute_url())
    assert cached(client, listed_in(TOUL))


def test_a_relation_change_rebuilds_both_structures_pages(
    client, two_structures, django_capture_on_commit_callbacks
):
    a, b = two_structures
    warm(client, a.get_absolute_url(), b.get_absolute_url())

    with django_capture_on_commit_callbacks(execute=True):
        a.member_of.add(b)

    assert not cached(client, a.get_absolute_url())
    assert not cached(client, b.get_absolute_url())
    # B now has members: a network, in the list's "Membre du réseau" options.
    assert f'<option value="{b.slug}">' in client.get("/acteurs/").content.decode()

    # A renamed: B's page, which names its member, follows.
    with django_capture_on_commit_callbacks(execute=True):
        a.name = "Structure A renommée"
        a.save()
    assert "Structure A renommée" in client.get(b.get_absolute_url()).content.decode()


def test_an_event_write_rebuilds_its_territories_and_its_organisers_pages(
    client, two_structures, django_capture_on_commit_callbacks
):
    a, b = two_structures
    event = EventFactory(title="Forum de Metz", territory=territory(METZ))
    EventParticipationFactory(event=event, collectivite=None, actor=a)
    moselle, meurthe = (
        "/evenements/?territoire=departement-57",
        "/evenements/?territoire=departement-54",
    )
    warm(client, event.get_absolute_url(), moselle, meurthe, a.get_absolute_url())
    warm(client, b.get_absolute_url())

    with django_capture_on_commit_callbacks(execute=True):
        event.title = "Forum de Toul"
        event.territory = territory(TOUL)
        event.save()

    for url in (event.get_absolute_url(), moselle, meurthe, a.get_absolute_url()):
        assert not cached(client, url), url
    assert "Forum de Toul" in client.get(a.get_absolute_url()).content.decode()
    assert "Forum de Toul" not in client.get(moselle).content.decode()
    assert cached(client, b.get_absolute_url())

    # A structure's write: the pages of its events name it.
    warm_again = event.get_absolute_url()
    assert cached(client, warm_again)
    with django_capture_on_commit_callbacks(execute=True):
        a.name = "Organisatrice renommée"
        a.save()
    assert "Organisatrice renommée" in client.get(warm_again).content.decode()


def test_a_page_declaring_nothing_is_rebuilt_by_any_write(
    client, two_structures, django_capture_on_commit_callbacks
):
    a, _ = two_structures
    CollectiviteFactory(name="Département en cache")
    warm(client, "/collectivites/")

    with django_capture_on_commit_callbacks(execute=True):
        a.description = "Sans rapport avec les collectivités"
        a.save()

    assert not cached(client, "/collectivites/")
    assert cached(client, "/collectivites/")
    assert set(caching.families()) == {"territories", "actors", "events", "support", "grants"}


def test_bump_content_version_rebuilds_every_page(
    client, two_structures, django_capture_on_commit_callbacks
):
    a, _ = two_structures
    warm(client, a.get_absolute_url(), listed_in("departement-54"))

    with django_capture_on_commit_callbacks(execute=True):
        caching.bump_content_version()  # an import that cannot say what it touched

    assert not cached(client, a.get_absolute_url())
    assert not cached(client, listed_in("departement-54"))


def test_no_old_page_is_stored_under_the_versions_of_a_write_during_its_rendering(
    client, monkeypatch, two_structures, django_capture_on_commit_callbacks
):
    a, _ = two_structures
    rendering = ActorDetailView.get_context_data

    def a_write_commits_meanwhile(view, **kwargs):
        context = rendering(view, **kwargs)  # the old record, read before the write
        monkeypatch.setattr(ActorDetailView, "get_context_data", rendering)
        with django_capture_on_commit_callbacks(execute=True):
            changed = Actor.objects.get(pk=a.pk)
            changed.description = "Écrit pendant le rendu"
            changed.save()
        return context

    monkeypatch.setattr(ActorDetailView, "get_context_data", a_write_commits_meanwhile)
    first = client.get(a.get_absolute_url())
    assert "Écrit pendant le rendu" not in first.content.decode()

    second = client.get(a.get_absolute_url())
    assert "Écrit pendant le rendu" in second.content.decode()
    assert second["ETag"] != first["ETag"]


def test_a_cache_outage_serves_pages_uncached(client, monkeypatch, two_structures):
    a, _ = two_structures

    class Down:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise ConnectionError("Redis is down")

            return fail

    real = caches["pages"]
    monkeypatch.setattr(caching, "caches", {"default": Down(), "pages": real})

    response = client.get(a.get_absolute_url())

    assert response.status_code == 200
    assert "ETag" not in response
    assert "Structure A" in response.content.decode()


def test_filter_options_follow_the_territories_not_every_write(
    client, settings, two_structures, django_capture_on_commit_callbacks
):
    settings.CACHE_MIDDLEWARE_SECONDS = 0  # the options' memo alone, not the page cache
    a, _ = two_structures
    ThemeFactory(name="Réemploi")
    assert '<option value="reemploi">Réemploi</option>' in client.get("/acteurs/").content.decode()
    Theme.objects.filter(slug="reemploi").update(name="Lu de nouveau")  # no signal

    # A structure's write: the options read no theme again.
    with django_capture_on_commit_callbacks(execute=True):
        a.description = "Autre chose"
        a.save()
    assert "Lu de nouveau" not in client.get("/acteurs/").content.decode()

    # A theme's: they do.
    with django_capture_on_commit_callbacks(execute=True):
        ThemeFactory(name="Alimentation durable")
    assert "Lu de nouveau" in client.get("/acteurs/").content.decode()
