"""Derived data: what is computed from the directory as a whole and rebuilt after every
change of it, so that pages read it instead of counting. Where actors act (ActorPlace),
the ESS panorama of every territory (TerritoryPanorama, with actors/panorama.py's
groupings) and the map's precomputed cells (MapCell)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from actors.caching import places_tags
from actors.models import (
    MAP_CELL_DEGREES,
    Actor,
    ActorPlace,
    ActorThemeListing,
    Establishment,
    Family,
    MapCell,
    TerritoryPanorama,
)
from actors.panorama import NON_EMPLOYER_BANDS, naf_section, size_group
from core.caching import bump_content_version, bump_tags
from core.publication import PublicationStatus
from territories.models import Territory, TerritoryInclusion, TerritoryKind

# Each statement binds a chunk's ids twice: well under every database's parameter limit.
ACTORS_PER_STATEMENT = 5000
# Up to this many actors, a refresh of their places makes only the pages of the territories
# they leave or enter stale; beyond (an import), every page.
PLACES_FOLLOWED = 100

# The derived tables, in the order they are rebuilt (places first: panoramas read them).
DERIVED_STEPS = ("places", "themes", "panoramas", "map cells")


# What the public lists sort and filter on rides along (actors.models.derived.PublicListing):
# whether the public sees the structure, and these columns, copied from it.
PUBLIC = f"(a.status = '{PublicationStatus.PUBLISHED}' AND NOT a.hidden)"
LISTED_FIELDS = ("name", "family", "subtype", "legal_form")
LISTED = ", ".join(LISTED_FIELDS)
LISTED_OF_A = ", ".join(f"a.{field}" for field in LISTED_FIELDS)


def _places_sql(actor_filter: str) -> str:
    place, actor = ActorPlace._meta.db_table, Actor._meta.db_table
    establishment, inclusion = Establishment._meta.db_table, TerritoryInclusion._meta.db_table
    return (
        f"INSERT INTO {place} (territory_id, actor_id, public, {LISTED}) "
        f"SELECT i.container_id, a.id, {PUBLIC}, {LISTED_OF_A} FROM {actor} a "
        f"JOIN {inclusion} i ON i.member_id = a.territory_id WHERE {actor_filter.format('a.id')} "
        f"UNION "
        f"SELECT i.container_id, a.id, {PUBLIC}, {LISTED_OF_A} FROM {establishment} e "
        f"JOIN {actor} a ON a.id = e.actor_id "
        f"JOIN {inclusion} i ON i.member_id = e.commune_id "
        f"WHERE e.is_active AND {actor_filter.format('e.actor_id')}"
    )


@transaction.atomic
def refresh_actor_places(*, actor_ids: Iterable[int] | None = None) -> int:
    """Rebuild where actors act (ActorPlace) from their territory and active establishments
    and the containment rule: for `actor_ids`, or for every actor when None. Returns how
    many places the actors now have.

    Called wherever an actor's territory or establishments change (the admin, the proposal
    moderation, the SIRENE import, the seed), and after the geography is reloaded.
    """
    if actor_ids is None:
        return _rebuild(ActorPlace, _places_sql)
    ids = sorted(set(actor_ids))
    total = 0
    # The pages of the territories the actors leave and enter go stale (on commit).
    follow = len(ids) <= PLACES_FOLLOWED
    touched: set[int] = set()
    for chunk in _chunks(ids):
        places = ActorPlace.objects.filter(actor_id__in=chunk)
        if follow:
            touched.update(places.values_list("territory_id", flat=True))
        # The statement names the chunk's ids twice (territory, then establishments).
        total += _replace(ActorPlace, _places_sql, chunk, times=2)
        if follow:
            touched.update(places.values_list("territory_id", flat=True))
    if follow:
        bump_tags(places_tags(touched))
    elif ids:
        bump_content_version()
    return total


def _chunks(ids: list[int]):
    for start in range(0, len(ids), ACTORS_PER_STATEMENT):
        yield ids[start : start + ACTORS_PER_STATEMENT]


def _rebuild(model, sql_for: Callable[[str], str]) -> int:
    """Every row of a derived table (ActorPlace, ActorThemeListing) again: one DELETE
    statement, whatever the rows (delete() would first fetch the million rows of a national
    refresh to send their signals), then `sql_for`'s INSERT … SELECT for every actor.

    On PostgreSQL the table is locked against other writers first (readers go on): a staff
    edit refreshing one structure's rows meanwhile wrote them again after the rebuild had
    deleted them, and one of the two failed on the unique constraint. The edits in flight
    commit first and the rebuild reads them; those that come later wait for it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {model._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
        model.objects.all()._raw_delete(model.objects.db)
        cursor.execute(sql_for("1 = 1"))
        return cursor.rowcount


def _replace(model, sql_for: Callable[[str], str], chunk: list[int], *, times: int = 1) -> int:
    """The rows of `model` of the actors of `chunk` again (`sql_for`'s statement names the
    chunk's ids `times` times); returns how many were written. Two refreshes of the same
    actors take turns: each locks the actors' rows first, in key order, so that the second
    one deletes what the first one wrote instead of colliding with it. (FOR NO KEY UPDATE:
    a rebuild's checks of its rows' foreign keys, FOR KEY SHARE, do not wait for it, where
    FOR UPDATE deadlocked with a rebuild holding the table.)"""
    actors = Actor.objects.select_for_update(no_key=True).filter(pk__in=chunk).order_by("pk")
    list(actors.values_list("pk"))
    model.objects.filter(actor_id__in=chunk)._raw_delete(model.objects.db)
    marks = ", ".join(["%s"] * len(chunk))
    with connection.cursor() as cursor:
        cursor.execute(sql_for(f"{{}} IN ({marks})"), chunk * times)
        return cursor.rowcount


def _theme_listings_sql(actor_filter: str) -> str:
    listing, actor = ActorThemeListing._meta.db_table, Actor._meta.db_table
    themes = Actor.themes.through._meta.db_table
    return (
        f"INSERT INTO {listing} (theme_id, actor_id, public, {LISTED}) "
        f"SELECT t.theme_id, a.id, {PUBLIC}, {LISTED_OF_A} FROM {themes} t "
        f"JOIN {actor} a ON a.id = t.actor_id WHERE {actor_filter.format('t.actor_id')}"
    )


@transaction.atomic
def refresh_theme_listings(*, actor_ids: Iterable[int] | None = None) -> int:
    """Rebuild the public lists of each theme (ActorThemeListing) from the actors' themes,
    names and visibility: for `actor_ids`, or for every actor when None. Returns how many
    listings the actors now have.

    Called when an actor's themes change (actors.services.follow_themes, the signal of the
    themes' table) and after an import, with the other derived data. The pages that show
    the structures' themes follow the structures' own cache tags.
    """
    if actor_ids is None:
        return _rebuild(ActorThemeListing, _theme_listings_sql)
    chunks = _chunks(sorted(set(actor_ids)))
    return sum(_replace(ActorThemeListing, _theme_listings_sql, chunk) for chunk in chunks)


def _fold_counts(rows, key_of) -> dict[int | None, Counter]:
    folded: dict[int | None, Counter] = {}
    for territory_id, value, count in rows:
        folded.setdefault(territory_id, Counter())[key_of(value)] += count
    return folded


@transaction.atomic
def refresh_panoramas() -> int:
    """Recompute the ESS panorama of every territory and of France from the published
    structures and their active establishments; returns how many panoramas were written.

    A handful of grouped aggregate queries over the whole directory (seconds at national
    scale), run after an import, the seed, and nightly: the territory pages then read one
    row per territory instead of counting hundreds of thousands of rows per request.
    """
    actors = Actor.objects.published()
    places = ActorPlace.objects.filter(actor__in=actors)
    establishments = Establishment.objects.public().exclude(commune=None)
    inside = "commune__container_links__container"
    employer = ~Q(employees_band__in=NON_EMPLOYER_BANDS)

    structures = _fold_counts(
        places.values_list("territory", "actor__family").annotate(n=Count("id")).order_by(),
        str,
    )
    structures[None] = Counter(
        dict(actors.values_list("family").annotate(n=Count("id")).order_by())
    )
    by_family = _fold_counts(
        establishments.values_list(inside, "actor__family").annotate(n=Count("id")).order_by(),
        str,
    )
    by_family[None] = Counter(
        dict(establishments.values_list("actor__family").annotate(n=Count("id")).order_by())
    )
    division = Substr("naf_code", 1, 2)
    by_section = _fold_counts(
        establishments.annotate(division=division)
        .values_list(inside, "division")
        .annotate(n=Count("id"))
        .order_by(),
        naf_section,
    )
    by_section[None] = Counter()
    for value, count in (
        establishments.annotate(division=division)
        .values_list("division")
        .annotate(n=Count("id"))
        .order_by()
    ):
        by_section[None][naf_section(value)] += count
    employers = establishments.filter(employer)
    by_size = _fold_counts(
        employers.values_list(inside, "employees_band").annotate(n=Count("id")).order_by(),
        size_group,
    )
    by_size[None] = Counter()
    for band, count in employers.values_list("employees_band").annotate(n=Count("id")).order_by():
        by_size[None][size_group(band)] += count

    populations = dict(Territory.objects.values_list("pk", "population"))
    populations[None] = Territory.objects.filter(kind=TerritoryKind.COMMUNE).aggregate(
        total=Sum("population")
    )["total"]
    now = timezone.now()
    rows = []
    for territory_id in structures.keys() | by_family.keys():
        families = {
            family: {
                "structures": structures.get(territory_id, Counter())[family],
                "establishments": by_family.get(territory_id, Counter())[family],
            }
            for family in Family.values
            if structures.get(territory_id, Counter())[family]
            or by_family.get(territory_id, Counter())[family]
        }
        sizes = by_size.get(territory_id, Counter())
        sizes.pop(None, None)
        rows.append(
            TerritoryPanorama(
                territory_id=territory_id,
                national=territory_id is None,
                population=populations.get(territory_id),
                structures=sum(structures.get(territory_id, Counter()).values()),
                establishments=sum(by_family.get(territory_id, Counter()).values()),
                employer_establishments=sum(sizes.values()),
                by_family=families,
                by_section=dict(by_section.get(territory_id, Counter())),
                by_size=dict(sizes),
                computed_at=now,
            )
        )
    TerritoryPanorama.objects.all().delete()
    TerritoryPanorama.objects.bulk_create(rows, batch_size=2000)
    transaction.on_commit(bump_content_version)
    return len(rows)


@transaction.atomic
def refresh_map_cells() -> int:
    """Recount the map's precomputed cells (MapCell) from the located, active
    establishments of the structures the public sees; returns how many cells."""
    cells = (
        Establishment.objects.active()
        .filter(latitude__isnull=False, longitude__isnull=False)
        .of_public_actors()
        .grid_clusters(MAP_CELL_DEGREES, MAP_CELL_DEGREES)
    )
    rows = [
        MapCell(
            gx=cell["gx"],
            gy=cell["gy"],
            count=cell["count"],
            lon=cell["lon"],
            lat=cell["lat"],
            west=cell["west"],
            south=cell["south"],
            east=cell["east"],
            north=cell["north"],
        )
        for cell in cells
    ]
    MapCell.objects.all().delete()
    MapCell.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def refresh_derived_data(
    *,
    steps: Iterable[str] = DERIVED_STEPS,
    on_step: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Rebuild everything computed from the directory as a whole: where actors act, the
    public structures of each theme, the panorama of every territory and the map's cells
    (or only those of `steps`). Run after an import, by the seed, and nightly (`manage.py
    refresh_panoramas`); returns how many rows of each.

    Each table is rebuilt in its own transaction, then `on_step(name)` is called: the
    SIRENE runs record there how far they went, should the process die before the end.
    """
    # Looked up at call time, so that each one is the module's current function.
    refreshers = {
        "places": lambda: refresh_actor_places(),
        "themes": lambda: refresh_theme_listings(),
        "panoramas": lambda: refresh_panoramas(),
        "map cells": lambda: refresh_map_cells(),
    }
    wanted = set(steps)
    counts = {}
    for step in DERIVED_STEPS:
        if step in wanted:
            counts[step] = refreshers[step]()
            if on_step is not None:
                on_step(step)
    return counts
