"""The page cache's vocabulary for territories and collectivités (core.caching).

Geography, collectivités and what they publish (contacts, budgets, schemes), themes and
sources form one family, "territories": they change seldom, and most pages show some of
them (a theme's name, a territory's), so any write to them makes those pages stale.
"""

from __future__ import annotations

from core.caching import content_version, memoize_by_content, track

FAMILY = "territories"


def connect() -> None:
    track("territories", FAMILY)


def territory_id(text: str, *, typed: bool = False) -> int | None:
    """The id of the territory `text` names, kept in this process until the territories
    change: a slug or short form (`departement-54`) of a page's address, or with `typed`
    what a visitor typed in a filter (one match, else None). Pages key on it before they
    are rendered, without a query when it is kept."""
    from territories.filters import resolve_territory
    from territories.models import Territory

    def find():
        if typed:
            matches = Territory.objects.matching_text(text, limit=2)
            return matches[0].pk if len(matches) == 1 else None
        territory = resolve_territory(text)
        return territory.pk if territory is not None else None

    key = ("territory id", typed, text)
    return memoize_by_content(key, find, content_version([FAMILY]))


def list_tags(request, family: str, territory_tag) -> list[str]:
    """What a list of records of `family` filtered as `request` asks depends on: the
    records of its `?territoire=` (`territory_tag(id)`) when it names one, else the whole
    family; and the territories' family, which every list shows (names, options)."""
    text = request.GET.get("territoire", "").strip()
    territory = territory_id(text, typed=True) if text else None
    return [FAMILY, family if territory is None else territory_tag(territory)]
