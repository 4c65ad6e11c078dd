"""The contact finder's answer for one commune or for the communes of a postal code.

Most postal codes cover several communes, and most of those communes are served by the same
people: the answer gives first the contacts (and collectivités without a named contact) that
serve every commune, most local first, then, per group of communes, only what differs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from territories.models import Collectivite, Contact, Territory


@dataclass
class Serving:
    """What serves a set of communes: contacts grouped by the territory they serve through,
    and the collectivités acting there whose sources name nobody (their own points of
    contact)."""

    groups: list[dict] = field(default_factory=list)
    collectivites: list[Collectivite] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.groups or self.collectivites)


@dataclass
class Answer:
    communes: list[Territory]
    common: Serving
    # [{"communes": [...], "serving": Serving}], for communes that others do not share.
    differences: list[dict]


def answer_for(communes: list[Territory]) -> Answer:
    """Who serves `communes`: in a constant number of queries, whatever their number."""
    ids = [commune.pk for commune in communes]
    links = Contact.objects.published().serving_links(ids)
    # commune → contact → (rank, commune count, territory) of the closest serving territory
    best: dict[int, dict[int, tuple]] = defaultdict(dict)
    for contact_id, commune_id, territory_id, rank, size in links:
        current = best[commune_id].get(contact_id)
        if current is None or (rank, size) < current[:2]:
            best[commune_id][contact_id] = (rank, size, territory_id)
    contacts = Contact.objects.select_related("collectivite").in_bulk(
        {contact_id for per_commune in best.values() for contact_id in per_commune}
    )
    territories = Territory.objects.in_bulk(
        {link[2] for per_commune in best.values() for link in per_commune.values()}
    )
    acting = Collectivite.objects.published().acting_on_communes(ids)
    named = {commune: {contacts[c].collectivite_id for c in best[commune]} for commune in ids}
    points = {commune: acting.get(commune, set()) - named[commune] for commune in ids}
    collectivites = Collectivite.objects.select_related("territory").in_bulk(
        set().union(*points.values())
    )

    def serving(contact_ids: set[int], collectivite_ids: set[int], where: list[int]) -> Serving:
        closest = {c: min(best[commune][c] for commune in where) for c in contact_ids}
        ordered = sorted(
            contact_ids,
            key=lambda c: (*closest[c][:2], contacts[c].collectivite.name, _order(contacts[c])),
        )
        groups: dict[int, dict] = {}
        for contact_id in ordered:
            territory = territories[closest[contact_id][2]]
            groups.setdefault(territory.pk, {"territory": territory, "contacts": []})
            groups[territory.pk]["contacts"].append(contacts[contact_id])
        return Serving(
            groups=list(groups.values()),
            collectivites=sorted(
                (collectivites[pk] for pk in collectivite_ids),
                key=lambda c: (c.territory.rank, c.name),
            ),
        )

    common_contacts = set.intersection(*(set(best[commune]) for commune in ids))
    common_points = set.intersection(*(points[commune] for commune in ids))
    by_difference: dict[tuple, list[Territory]] = defaultdict(list)
    for commune in communes:
        key = (
            frozenset(set(best[commune.pk]) - common_contacts),
            frozenset(points[commune.pk] - common_points),
        )
        if any(key):
            by_difference[key].append(commune)
    differences = [
        {
            "communes": members,
            "serving": serving(set(key[0]), set(key[1]), [c.pk for c in members]),
        }
        for key, members in by_difference.items()
    ]
    return Answer(
        communes=communes,
        common=serving(common_contacts, common_points, ids),
        differences=differences,
    )


def _order(contact: Contact) -> tuple:
    # The central contact, then the CTES, officers before elected representatives.
    return (not contact.is_central, not contact.is_ctes, contact.role, contact.order, contact.pk)
