"""Writes with side effects on territories: importing the geography, keeping containment."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils.text import slugify

from core.signals import inclusions_changed
from territories.derived import refresh_scheme_places
from territories.geography import Geography
from territories.models import (
    PostalCode,
    Territory,
    TerritoryInclusion,
    TerritoryKind,
)

BATCH = 2000

_UPSERT_FIELDS = [
    "name",
    "slug",
    "short_slug",
    "subtype",
    "rank",
    "search_name",
    "departement_code",
    "region_code",
    "population",
]


@dataclass
class ImportReport:
    territories: int
    groupements_created: int
    postal_codes_added: int
    postal_codes_removed: int
    inclusions_added: int
    inclusions_removed: int


def territory_slugs(kind: str, code: str, name: str) -> tuple[str, str]:
    """(canonical slug, short slug): `departement-54-meurthe-et-moselle`, `departement-54`."""
    short = slugify(f"{kind}-{code}")
    return f"{short}-{slugify(name)}"[:250].rstrip("-"), short


def _build(kind: str, code: str, name: str, **fields) -> Territory:
    slug, short_slug = territory_slugs(kind, code, name)
    territory = Territory(
        kind=kind, code=code, name=name, slug=slug, short_slug=short_slug, **fields
    )
    territory.refresh_derived_fields()
    return territory


def _population(value: str) -> int | None:
    return int(value) if value not in ("", None) else None


@transaction.atomic
def import_geography(*, geo: Geography) -> ImportReport:
    """Create or update every territory of `geo`, their postal codes and containment.

    Idempotent: a second run with the same data changes nothing. Groupings are created when
    missing but their composition is never overwritten, since staff may have corrected it.
    """
    official = (
        [_build(TerritoryKind.REGION, r["code"], r["name"]) for r in geo.regions]
        + [
            _build(TerritoryKind.DEPARTEMENT, d["code"], d["name"], region_code=d["region"])
            for d in geo.departements
        ]
        + [_build(TerritoryKind.EPCI, e["code"], e["name"], subtype=e["type"]) for e in geo.epci]
        + [_build(TerritoryKind.EPT, e["code"], e["name"], subtype="EPT") for e in geo.ept]
        + [
            _build(
                TerritoryKind.COMMUNE,
                c["code"],
                c["name"],
                departement_code=c["departement"],
                region_code=c["region"],
                population=_population(c["population"]),
            )
            for c in geo.communes
        ]
    )
    Territory.objects.bulk_create(
        official,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["kind", "code"],
        update_fields=_UPSERT_FIELDS,
    )
    ids = {
        (kind, code): pk for pk, kind, code in Territory.objects.values_list("pk", "kind", "code")
    }

    created = 0
    for row in geo.groupements:
        grouping, was_created = Territory.objects.get_or_create(
            kind=TerritoryKind.GROUPEMENT,
            code=row["code"],
            defaults={
                "name": row["name"],
                "slug": territory_slugs(TerritoryKind.GROUPEMENT, row["code"], row["name"])[0],
                "short_slug": territory_slugs(TerritoryKind.GROUPEMENT, row["code"], row["name"])[
                    1
                ],
                "subtype": row["type"],
                "restrict_to_departement": row["departement_only"],
                "composition_confidence": row["confidence"],
                "composition_note": row["note"],
            },
        )
        if was_created:
            created += 1
            grouping.grouping_epcis.set(
                [ids[(TerritoryKind.EPCI, code)] for code in row["epci"].split()]
            )

    added, removed = _sync_postal_codes(geo, ids)
    members = {
        ids[(kind, e["code"])]: {
            ids[(TerritoryKind.COMMUNE, code)] for code in e["members"].split()
        }
        for kind, rows in ((TerritoryKind.EPCI, geo.epci), (TerritoryKind.EPT, geo.ept))
        for e in rows
    }
    inclusions_added, inclusions_removed = rebuild_inclusions(official_members=members)
    return ImportReport(
        territories=Territory.objects.count(),
        groupements_created=created,
        postal_codes_added=added,
        postal_codes_removed=removed,
        inclusions_added=inclusions_added,
        inclusions_removed=inclusions_removed,
    )


def _sync_postal_codes(geo: Geography, ids: dict) -> tuple[int, int]:
    wanted = {
        (code, ids[(TerritoryKind.COMMUNE, c["code"])])
        for c in geo.communes
        for code in c["postal_codes"].split()
    }
    existing = {
        (code, commune_id): pk
        for pk, code, commune_id in PostalCode.objects.values_list("pk", "code", "commune_id")
    }
    missing = wanted - existing.keys()
    stale = [pk for key, pk in existing.items() if key not in wanted]
    PostalCode.objects.bulk_create(
        [PostalCode(code=code, commune_id=commune_id) for code, commune_id in missing],
        batch_size=BATCH,
    )
    _delete_in_batches(PostalCode, stale)
    return len(missing), len(stale)


def _delete_in_batches(model, pks: list[int]) -> None:
    for start in range(0, len(pks), BATCH):
        model.objects.filter(pk__in=pks[start : start + BATCH]).delete()


def _official_members_from_table() -> dict[int, set[int]]:
    """EPCI and EPT → their communes, as the last import recorded them."""
    members: dict[int, set[int]] = defaultdict(set)
    links = TerritoryInclusion.objects.filter(
        container__kind__in=[TerritoryKind.EPCI, TerritoryKind.EPT],
        member__kind=TerritoryKind.COMMUNE,
    ).values_list("container_id", "member_id")
    for container_id, member_id in links.iterator(chunk_size=10000):
        members[container_id].add(member_id)
    return members


def majority_container(members: set[int], communes: dict, key: int) -> str | None:
    """The code (département: key 0, région: key 1) holding most of `members`' population.

    Strictly more than half the population, or of the communes when no population is known;
    None when no single département (région) holds such a majority.
    """
    if not members:
        return None
    weights: dict[str, int] = defaultdict(int)
    for member in members:
        weights[communes[member][key]] += communes[member][2]
    total = sum(weights.values())
    if total == 0:
        weights = defaultdict(int)
        for member in members:
            weights[communes[member][key]] += 1
        total = len(members)
    code, weight = max(weights.items(), key=lambda item: item[1])
    return code if weight * 2 > total else None


@transaction.atomic
def rebuild_inclusions(*, official_members: dict[int, set[int]] | None = None) -> tuple[int, int]:
    """Recompute containment from the communes each territory holds (see TerritoryInclusion).

    A contains B when every commune of B is a commune of A (exact); a département or a région
    also contains an EPCI, EPT or grouping most of whose population lies in it (not exact).
    Returns (added, removed) rows. `official_members` maps EPCI/EPT ids to their communes;
    by default the current table.
    """
    if official_members is None:
        official_members = _official_members_from_table()
    communes = {
        pk: (dep, reg, pop or 0)
        for pk, dep, reg, pop in Territory.objects.communes().values_list(
            "pk", "departement_code", "region_code", "population"
        )
    }
    by_departement: dict[str, set[int]] = defaultdict(set)
    by_region: dict[str, set[int]] = defaultdict(set)
    for pk, (dep, reg, _pop) in communes.items():
        by_departement[dep].add(pk)
        by_region[reg].add(pk)

    sets: dict[int, set[int]] = {}
    area_ids: dict[tuple[str, str], int] = {}
    containers = Territory.objects.exclude(kind=TerritoryKind.COMMUNE).values_list(
        "pk", "kind", "code", "restrict_to_departement"
    )
    grouping_epcis: dict[int, list[int]] = defaultdict(list)
    for grouping_id, epci_id in Territory.grouping_epcis.through.objects.values_list(
        "from_territory_id", "to_territory_id"
    ):
        grouping_epcis[grouping_id].append(epci_id)
    for pk, kind, code, restrict in containers:
        if kind == TerritoryKind.REGION:
            sets[pk] = by_region.get(code, set())
            area_ids[(kind, code)] = pk
        elif kind == TerritoryKind.DEPARTEMENT:
            sets[pk] = by_departement.get(code, set())
            area_ids[(kind, code)] = pk
        elif kind in (TerritoryKind.EPCI, TerritoryKind.EPT):
            sets[pk] = official_members.get(pk, set())
        else:
            found = set().union(*(official_members.get(e, set()) for e in grouping_epcis[pk]))
            if restrict:
                found &= by_departement.get(restrict, set())
            sets[pk] = found

    ancestors: dict[int, set[int]] = defaultdict(set)
    for container_id, members in sets.items():
        for member in members:
            ancestors[member].add(container_id)

    # (container, member) → exact
    wanted: dict[tuple[int, int], bool] = {}
    for commune_id in communes:
        wanted[(commune_id, commune_id)] = True
        wanted.update(((container_id, commune_id), True) for container_id in ancestors[commune_id])
    for container_id, members in sets.items():
        wanted[(container_id, container_id)] = True
        if not members:
            continue
        common = set.intersection(*(ancestors[m] for m in members))
        wanted.update(((outer, container_id), True) for outer in common)
        for key, kind in ((0, TerritoryKind.DEPARTEMENT), (1, TerritoryKind.REGION)):
            code = majority_container(members, communes, key)
            outer = area_ids.get((kind, code))
            if outer is not None and (outer, container_id) not in wanted:
                wanted[(outer, container_id)] = False

    existing = {
        (container_id, member_id): (pk, exact)
        for pk, container_id, member_id, exact in TerritoryInclusion.objects.values_list(
            "pk", "container_id", "member_id", "exact"
        ).iterator(chunk_size=20000)
    }
    missing = [
        TerritoryInclusion(container_id=c, member_id=m, exact=exact)
        for (c, m), exact in wanted.items()
        if (c, m) not in existing
    ]
    stale = [pk for key, (pk, _exact) in existing.items() if key not in wanted]
    flipped = [
        TerritoryInclusion(pk=pk, exact=wanted[key])
        for key, (pk, exact) in existing.items()
        if key in wanted and wanted[key] != exact
    ]
    TerritoryInclusion.objects.bulk_create(missing, batch_size=BATCH)
    TerritoryInclusion.objects.bulk_update(flipped, ["exact"], batch_size=BATCH)
    _delete_in_batches(TerritoryInclusion, stale)
    _update_container_counts(sets, communes)
    if missing or stale:
        # Where schemes can be reached follows what contains their areas; so do the
        # places the apps above keep (events).
        refresh_scheme_places()
        inclusions_changed.send(sender=TerritoryInclusion)
    return len(missing) + len(flipped), len(stale)


def _update_container_counts(sets: dict[int, set[int]], communes: dict) -> None:
    current = {
        pk: (count, population)
        for pk, count, population in Territory.objects.exclude(
            kind=TerritoryKind.COMMUNE
        ).values_list("pk", "commune_count", "population")
    }
    changed = []
    for pk, members in sets.items():
        count = len(members)
        population = sum(communes[m][2] for m in members) if members else None
        if current.get(pk) != (count, population):
            changed.append(Territory(pk=pk, commune_count=count, population=population))
    Territory.objects.bulk_update(changed, ["commune_count", "population"], batch_size=BATCH)
    Territory.objects.communes().exclude(commune_count=1).update(commune_count=1)


@transaction.atomic
def update_grouping(*, grouping: Territory, epcis: Iterable[Territory], restrict_to: str) -> None:
    """Change which EPCI make up a grouping (staff corrections) and recompute containment."""
    grouping.grouping_epcis.set(list(epcis))
    if grouping.restrict_to_departement != restrict_to:
        grouping.restrict_to_departement = restrict_to
        grouping.save(update_fields=["restrict_to_departement"])
    rebuild_inclusions()
