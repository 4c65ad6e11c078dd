"""The territories' reads that every territory page and the contact finder run, kept
compiled (core.statements): the same SQL for every territory, only its key differs."""

from __future__ import annotations

from django.db.models import Count, Window

from core.lookups import prefix_pattern
from core.pagination import counted_rows
from core.statements import Statement, querysets_together
from core.together import rows_together
from territories.models import (
    Collectivite,
    Contact,
    PostalCode,
    Scheme,
    Territory,
    TerritoryInclusion,
    TerritoryKind,
)
from territories.models.geography import place_terms


def _containers(*, territory_id: int):
    return Territory.objects.containers_of(Territory(pk=territory_id))


def _children(*, territory_id: int, kind: str, size: int):
    return counted_rows(Territory.objects.children_of(Territory(pk=territory_id, kind=kind)), size)


def _accessible(*, territory_ids: list[int], communes: bool):
    # For several territories (a postal code's communes), their kind shapes the query
    # (Scheme.accessible_in): whether they are communes. One is read from its places.
    kind = TerritoryKind.COMMUNE if communes else ""
    places = [Territory(pk=territory_id, kind=kind) for territory_id in territory_ids]
    return Scheme.objects.published().accessible_in(*places).nearest_first()


def _accessible_schemes(*, territory_ids: list[int], size: int):
    # A card's columns only (Scheme.objects.cards()): no page shows these as more.
    return counted_rows(_accessible(territory_ids=territory_ids, communes=True).cards(), size)


def _accessible_scheme_keys(*, territory_ids: list[int], size: int):
    counted = _accessible(territory_ids=territory_ids, communes=False).annotate(
        _listed_total=Window(Count("pk"))
    )
    return counted.values_list("pk", "_listed_total")[:size]


def _listed_scheme_keys(*, territory_id: int, bottom: int, size: int):
    # The schemes' list narrowed by a territory alone (SchemeFilterSet), as the paginator
    # reads a page's keys and the count of all (BoundedPaginator._read_counted_keys()).
    # Whatever its kind, one territory's schemes are read from their places (SchemePlace).
    territory = Territory(pk=territory_id)
    listed = Scheme.objects.published().for_list().accessible_in(territory)
    counted = listed.annotate(_listed_total=Window(Count("pk")))
    return counted.values_list("pk", "_listed_total")[bottom : bottom + size]


def _schemes(*, ids: list[int]):
    return Scheme.objects.published().filter(pk__in=ids).cards()


def _serving_links(*, commune_ids: list[int]):
    return Contact.objects.published().serving_links(commune_ids)


def _acting_links(*, commune_ids: list[int]):
    return Collectivite.objects.published().acting_links(commune_ids)


def _contacts(*, ids: list[int]):
    return Contact.objects.select_related("collectivite").filter(pk__in=ids)


def _territories(*, ids: list[int]):
    return Territory.objects.filter(pk__in=ids)


def _collectivites(*, ids: list[int]):
    return Collectivite.objects.select_related("territory").filter(pk__in=ids)


def _collectivites_of(*, territory_ids: list[int]):
    return (
        Collectivite.objects.published()
        .filter(territory__in=territory_ids)
        .select_related("territory")
    )


def _places_by_code(*, codes: list[str], size: int):
    return Territory.objects.communes_named(codes=codes, folded="")[:size]


def _places_named(*, codes: list[str], folded: str, pattern: str, size: int):
    named = Territory.objects.communes_named(codes=codes, folded=folded, pattern=pattern)
    return named[:size]


def named_arguments(query: str) -> dict | None:
    """The arguments of `places_named` for `query` (place_terms()), None when it holds no
    word (then `places_by_code`, or nothing)."""
    codes, folded = place_terms(query)
    if not folded:
        return None
    return {"codes": codes, "folded": folded, "pattern": prefix_pattern(folded)}


def _insee_alternative(*, code: str):
    return Territory.objects.insee_alternative(code=code)[:1]


def _postal_codes(*, commune_id: int):
    return PostalCode.objects.filter(commune=commune_id)


def _published_links():
    # The contact and its collectivité are joined for their rows: filtered there.
    return Contact.territories.through.objects.filter(
        Contact.objects.published_through("contact")
    ).select_related("contact__collectivite")


def _contact_links(*, territory_ids: list[int]):
    return _published_links().filter(territory_id__in=territory_ids)


def _contact_links_around(*, territory_id: int):
    # Through the territories containing it, itself included (TerritoryInclusion): their
    # keys, where joining the territories then their inclusions gave the planner two more
    # tables to order (0.85 -> 0.5 ms of planning alone).
    containing = TerritoryInclusion.objects.filter(member=territory_id).values("container_id")
    return _published_links().filter(territory_id__in=containing)


# The territories containing a territory, itself excluded, the most local first
# (Territory.objects.containers_of). A handful whatever the territory's size: one plan
# serves every territory (generic_plan, core.prepared), as it does the reads by key below.
containers = Statement(_containers, bound=("territory_id",), generic_plan=True)

# The territories one level below a territory (Territory.objects.children_of), the first
# `size`, each carrying how many in all (core.pagination.with_total).
children = Statement(_children, bound=("territory_id",))

# The schemes a project holder of each of some territories (the communes of a postal code)
# may turn to, the current and most local first (Scheme.objects.accessible_in,
# nearest_first), the first `size` carrying the count of all: for communes, the rows
# (core.pagination.with_total() splits them); for larger territories, their keys, then
# those schemes by key (see accessible_schemes()).
communes_schemes = Statement(_accessible_schemes, bound=("territory_ids",))
accessible_scheme_keys = Statement(_accessible_scheme_keys, bound=("territory_ids",))
# The schemes' list of a territory: a page's keys and the count of all, in the list's order.
listed_scheme_keys = Statement(_listed_scheme_keys, bound=("territory_id",))
schemes = Statement(_schemes, bound=("ids",), generic_plan=True)

# The contact finder's answer (territories.finder.answer_for): the contacts serving some
# communes and through which territory (Contact.serving_links), the collectivités acting
# there (Collectivite.acting_links), then those contacts, territories and collectivités by
# key (see by_key()). A postal code's communes are a few: one plan serves them all.
serving_links = Statement(_serving_links, bound=("commune_ids",), generic_plan=True)
acting_links = Statement(_acting_links, bound=("commune_ids",), generic_plan=True)
contacts = Statement(_contacts, bound=("ids",), generic_plan=True)
territories = Statement(_territories, bound=("ids",), generic_plan=True)
collectivites = Statement(_collectivites, bound=("ids",), generic_plan=True)


def by_key(statement: Statement, ids) -> dict:
    """{key: record} of `statement`'s records of `ids` (as QuerySet.in_bulk(), no query
    when there are none)."""
    return by_keys((statement, ids))[0]


def by_keys(*reads: tuple[Statement, set | list]) -> list[dict]:
    """by_key() of each (statement, ids) of `reads`, read together (rows_together())."""
    wanted = [(statement, {"ids": sorted(ids)}) for statement, ids in reads if ids]
    found = iter(rows_together(*wanted))
    return [
        {record.pk: record for record in next(found)} if ids else {} for _statement, ids in reads
    ]


# Who serves a whole territory (territories.finder.serving_territory): the published
# collectivités of some territories, with their territory, and the links of the published
# contacts serving them, with the contact and its collectivité.
collectivites_of = Statement(_collectivites_of, bound=("territory_ids",))
contact_links = Statement(_contact_links, bound=("territory_ids",))
# A commune's postal codes, in the order of PostalCode's Meta.
postal_codes = Statement(_postal_codes, bound=("commune_id",))

# The same links, of a territory and the territories containing it: read with the other
# lists of its page, before its containers are known. Through its containers, a handful:
# one plan serves every territory.
contact_links_around = Statement(_contact_links_around, bound=("territory_id",), generic_plan=True)


def accessible_schemes(
    *, territory_ids: list[int], size: int, keys: list[tuple] | None = None
) -> tuple[list, int]:
    """The first `size` schemes accessible in each of `territory_ids`, territories larger
    than a commune, in the order of nearest_first(), and how many there are in all.

    Their keys come first, from the schemes' covering index (scheme_public_listing: what
    they are filtered and sorted on), sorted and counted in one statement, then those
    schemes by key: sorting the whole rows of a région's 900 schemes read every column of
    them (Grand Est: 7.9 -> 3.5 ms). Communes' few schemes are reached by key
    (Scheme.accessible_in) and read whole in one statement, `communes_schemes`, which the
    contact finder and a commune's page send along the answer's first statements
    (territories.finder.answer_for); with_total() of its rows gives the same.

    `keys`: the rows of accessible_scheme_keys for these arguments, when a page read them
    with its other lists."""
    if keys is None:
        keys = accessible_scheme_keys.rows(territory_ids=territory_ids, size=size)
    if not keys:
        return [], 0
    found = by_key(schemes, [key for key, _total in keys])
    return [found[key] for key, _total in keys if key in found], keys[0][1]


# The communes a postal or INSEE code names, those a name (and codes) names, and the commune
# whose INSEE code a postal code is (the contact finder's first reads). A name is matched by
# its first letters: a LIKE pattern computed beforehand (core.lookups), bound like the words.
places_by_code = Statement(_places_by_code, bound=("codes",))
places_named = Statement(_places_named, bound=("codes", "folded", "pattern"))
insee_alternative = Statement(_insee_alternative, bound=("code",))


def places(query: str, *, size: int) -> tuple[list[Territory], Territory | None]:
    """The first `size` communes `query` names (Territory.objects.matching_place()) and,
    when it holds one code, the commune whose INSEE code that postal code is
    (Territory.objects.insee_alternative()): read in one round trip, compiled once per
    shape of query (codes alone, the contact finder's most common; words, with or without
    codes)."""
    codes, folded = place_terms(query)
    if not codes and not folded:
        return [], None
    alternative = [(insee_alternative, {"code": codes[0]})] if len(codes) == 1 else []
    named = named_arguments(query)
    if named is None:
        places = (places_by_code, {"codes": codes, "size": size})
    else:
        places = (places_named, {**named, "size": size})
    found = querysets_together(places, *alternative)
    communes, others = list(found[0]), found[1:]
    return communes, next((rows[0] for rows in others if rows), None)
