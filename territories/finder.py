"""The contact finder's answer for one commune or for the communes of a postal code.

The answer comes first: one card naming the most local person or service a project holder
can reach, with the most direct way the sources give (phone, e-mail, then their
collectivité's postal address or web site), and saying so plainly where the sources give
none. When the most local contact has no coordinates (the CD54's CTES), the card names the
nearest one who has, and says why.

Then everyone else. Most postal codes cover several communes, and most of those communes
are served by the same people: the answer lists first the contacts (and collectivités
without a named contact) that serve every commune, most local first, then, per group of
communes, only what differs.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from django.db import connection
from django.db.models import F

from core.text import normalize
from core.together import Composed, read_together
from territories import statements
from territories.models import CODE_RE, Collectivite, Contact, ContactRole, Territory
from territories.models.collectivites import acting_by_commune

# The ways to reach someone, most direct first. A contact's own phone and e-mail are
# direct; the postal address and web site are their collectivité's.
PHONE, EMAIL, ADDRESS, WEBSITE = "phone", "email", "address", "website"
DIRECT = (PHONE, EMAIL)


@dataclass(frozen=True)
class Channel:
    kind: str
    value: str

    @property
    def is_direct(self) -> bool:
        return self.kind in DIRECT


@dataclass(frozen=True)
class Point:
    """One way in for a project holder: a contact, or a collectivité acting on the commune
    whose sources name nobody (`contact` is None), through the territory it serves."""

    contact: Contact | None
    collectivite: Collectivite
    territory: Territory
    # (rank, commune count) of the serving territory: the smaller, the more local.
    closeness: tuple

    @property
    def channels(self) -> list[Channel]:
        """Every channel the sources give, most direct first."""
        channels = []
        if self.contact is not None:
            channels += [
                Channel(kind, value)
                for kind, value in ((PHONE, self.contact.phone), (EMAIL, self.contact.email))
                if value
            ]
        channels += [
            Channel(kind, value)
            for kind, value in (
                (ADDRESS, self.collectivite.address.strip()),
                (WEBSITE, self.collectivite.website),
            )
            if value
        ]
        return channels

    @property
    def is_direct(self) -> bool:
        return any(channel.is_direct for channel in self.channels)

    @property
    def is_ctes(self) -> bool:
        return self.contact is not None and self.contact.is_ctes


@dataclass(frozen=True)
class Card:
    """The answer: whom to contact first, and how."""

    point: Point
    # What to show: the direct channels when there are any, else the collectivité's postal
    # address and web site; [] when the sources give none.
    channels: list[Channel]
    # The more local contact passed over because the sources give it no coordinates.
    closer: Point | None = None

    @property
    def contact(self) -> Contact | None:
        return self.point.contact

    @property
    def collectivite(self) -> Collectivite:
        return self.point.collectivite

    @property
    def territory(self) -> Territory:
        return self.point.territory

    @property
    def is_direct(self) -> bool:
        return any(channel.is_direct for channel in self.channels)

    @property
    def key(self) -> tuple:
        """What the visitor reads on the card: two groups of communes with the same key get
        one card."""
        closer = self.closer
        return (
            self.point.contact.pk if self.point.contact else None,
            self.point.collectivite.pk,
            tuple(self.channels),
            (closer.contact.pk if closer.contact else None, closer.collectivite.pk)
            if closer
            else None,
        )


def card_for(points: list[Point]) -> Card | None:
    """The card for `points` (most local first): the most local one with a phone or an
    e-mail; else the most local whose collectivité gives a postal address or a web site;
    else the most local of all, saying the sources give no coordinates."""
    if not points:
        return None
    for reachable in (lambda point: point.is_direct, lambda point: bool(point.channels)):
        chosen = next((point for point in points if reachable(point)), None)
        if chosen is not None:
            channels = chosen.channels
            if chosen.is_direct:
                channels = [channel for channel in channels if channel.is_direct]
            closer = points[0] if points[0] is not chosen else None
            return Card(point=chosen, channels=channels, closer=closer)
    return Card(point=points[0], channels=[])


@dataclass
class Serving:
    """What serves a set of communes: contacts grouped by the territory they serve through,
    and the collectivités acting there whose sources name nobody (their own points of
    contact); `points` is all of them, most local first, and `card` the answer."""

    groups: list[dict] = field(default_factory=list)
    collectivites: list[Collectivite] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    card: Card | None = None

    def __bool__(self) -> bool:
        return bool(self.groups or self.collectivites)

    def groups_of(self, role: str, without: list = ()) -> list[dict]:
        """The groups (territory, contacts) with only the contacts of `role` (officers, or
        elected representatives), but those of the cards `without` (shown above)."""
        shown = {card.contact for card in _cards(without) if card.contact is not None}
        groups = []
        for group in self.groups:
            contacts = [c for c in group["contacts"] if c.role == role and c not in shown]
            if contacts:
                groups.append({"territory": group["territory"], "contacts": contacts})
        return groups

    def staff_groups(self, without: list = ()) -> list[dict]:
        return self.groups_of(ContactRole.OFFICER, without)

    def elected_groups(self, without: list = ()) -> list[dict]:
        return self.groups_of(ContactRole.ELECTED, without)

    def has_others(self, without: list = ()) -> bool:
        """Whether anyone serves these communes besides the cards `without`."""
        return bool(
            self.staff_groups(without)
            or self.elected_groups(without)
            or self.other_collectivites(without)
        )

    def other_collectivites(self, without: list = ()) -> list[Collectivite]:
        """The collectivités without a named contact, but those the cards `without` show."""
        shown = {card.collectivite for card in _cards(without) if card.contact is None}
        return [c for c in self.collectivites if c not in shown]


def _cards(without) -> list[Card]:
    # Cards, or entries of Answer.cards.
    return [item["card"] if isinstance(item, dict) else item for item in without or ()]


@dataclass
class Answer:
    communes: list[Territory]
    common: Serving
    # [{"communes": [...], "serving": Serving}], for communes that others do not share.
    # Each difference's serving has the card of its communes (common contacts included).
    differences: list[dict]

    @property
    def card(self) -> Card | None:
        """The card of the contacts every commune shares (see `cards` for each commune's)."""
        return self.common.card

    def card_of(self, commune: Territory) -> Card | None:
        """The card that answers for `commune`."""
        for difference in self.differences:
            if commune in difference["communes"]:
                return difference["serving"].card
        return self.common.card

    @property
    def other_differences(self) -> list[dict]:
        """The differences that serve their communes with more than the cards show."""
        return [d for d in self.differences if d["serving"].has_others(self.cards)]

    @cached_property
    def cards(self) -> list[dict]:
        """The answer, first on the page: [{"card", "communes"}], one card per different
        answer among the communes (one card when they share it, `communes` then being all
        of them), the card of the most populated communes first."""
        cards: dict[tuple, dict] = {}
        for commune in self.communes:
            card = self.card_of(commune)
            if card is not None:
                cards.setdefault(card.key, {"card": card, "communes": []})
                cards[card.key]["communes"].append(commune)
        return sorted(
            cards.values(),
            key=lambda entry: -sum(commune.population or 0 for commune in entry["communes"]),
        )


def answer_for(communes: list[Territory]) -> Answer:
    """Who serves `communes`: in a constant number of queries, whatever their number
    (two round trips on PostgreSQL; a page sends the first with its other reads through
    answer_read())."""
    return read_together(answer=answer_read(communes))["answer"]


def answer_read(communes: list[Territory]) -> Composed:
    """answer_for(communes) as a read a page sends with its others
    (core.together.read_together()): its first statements, then what builds the answer
    from their rows (one round trip more)."""
    ids = [commune.pk for commune in communes]
    calls = (
        (statements.serving_links, {"commune_ids": ids}),
        (statements.acting_links, {"commune_ids": ids}),
    )
    return Composed(calls, lambda links, acting_links: _answer(communes, links, acting_links))


def _answer(communes: list[Territory], links: list[tuple], acting_links: list[tuple]) -> Answer:
    ids = [commune.pk for commune in communes]
    # commune → contact → (rank, commune count, territory) of the closest serving territory
    best: dict[int, dict[int, tuple]] = defaultdict(dict)
    collectivite_of: dict[int, int] = {}
    for contact_id, commune_id, territory_id, rank, size, collectivite_id in links:
        collectivite_of[contact_id] = collectivite_id
        current = best[commune_id].get(contact_id)
        if current is None or (rank, size) < current[:2]:
            best[commune_id][contact_id] = (rank, size, territory_id)
    acting = acting_by_commune(acting_links)
    named = {commune: {collectivite_of[c] for c in best[commune]} for commune in ids}
    points = {commune: acting.get(commune, set()) - named[commune] for commune in ids}
    # The contacts, their territories and the collectivités acting without one, together.
    contacts, territories, collectivites = statements.by_keys(
        (
            statements.contacts,
            {contact_id for per_commune in best.values() for contact_id in per_commune},
        ),
        (
            statements.territories,
            {link[2] for per_commune in best.values() for link in per_commune.values()},
        ),
        (statements.collectivites, set().union(*points.values())),
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
        others = sorted(
            (collectivites[pk] for pk in collectivite_ids),
            key=lambda c: (c.territory.rank, c.territory.commune_count, c.name),
        )
        return Serving(groups=list(groups.values()), collectivites=others)

    common_contacts = set.intersection(*(set(best[commune]) for commune in ids))
    common_points = set.intersection(*(points[commune] for commune in ids))
    common = with_card(serving(common_contacts, common_points, ids))
    by_difference: dict[tuple, list[Territory]] = defaultdict(list)
    for commune in communes:
        key = (
            frozenset(set(best[commune.pk]) - common_contacts),
            frozenset(points[commune.pk] - common_points),
        )
        if any(key):
            by_difference[key].append(commune)
    differences = []
    for key, members in by_difference.items():
        where = [c.pk for c in members]
        own = serving(set(key[0]), set(key[1]), where)
        shared = serving(common_contacts, common_points, where)
        own.card = with_card(Serving(), own, shared).card
        differences.append({"communes": members, "serving": own})
    return Answer(communes=communes, common=common, differences=differences)


def with_card(served: Serving, *also: Serving) -> Serving:
    """`served` with its points and its card, which looks at everything serving there
    (`also`: what other servings share with it)."""
    every = [
        Point(contact, contact.collectivite, group["territory"], _closeness(group))
        for each in (served, *also)
        for group in each.groups
        for contact in group["contacts"]
    ] + [
        Point(None, collectivite, collectivite.territory, _closeness(collectivite))
        for each in (served, *also)
        for collectivite in each.collectivites
    ]
    served.points = sorted(every, key=_point_order)
    served.card = card_for(served.points)
    return served


def serving_territory(
    territory: Territory,
    containers: list[Territory] | None = None,
    acting: list[Collectivite] | None = None,
    links: list | None = None,
) -> Serving:
    """Who serves the whole of `territory` (a département, an intercommunality, a
    collectivité's territory…), with its answer card, as the finder answers for a commune:
    the contacts serving it or a territory containing it, and the collectivités whose
    territory contains it but whose sources name nobody, most local first.

    `containers` (the territories containing it, itself excluded, as
    `Territory.objects.containers_of` gives them) and `acting` (published collectivités,
    at least those whose territory contains it, with their territory) are read when not
    given: one query when both are, three at most. `links`: the rows of
    statements.contact_links_around for `territory`, when read already."""
    if containers is None:
        containers = statements.containers.rows(territory_id=territory.pk)
    within = {place.pk: place for place in (territory, *containers)}
    if acting is None:
        acting = statements.collectivites_of.rows(territory_ids=list(within))
    if links is None:
        links = statements.contact_links.rows(territory_ids=list(within))
    # contact → the closest territory through which it serves this one
    closest: dict[Contact, Territory] = {}
    for link in links:
        place, current = within[link.territory_id], closest.get(link.contact)
        if current is None or _size(place) < _size(current):
            closest[link.contact] = place
    groups: dict[int, dict] = {}
    ordered = sorted(
        closest,
        key=lambda c: (*_size(closest[c]), c.collectivite.name, _order(c)),
    )
    for contact in ordered:
        place = closest[contact]
        groups.setdefault(place.pk, {"territory": place, "contacts": []})
        groups[place.pk]["contacts"].append(contact)
    named = {contact.collectivite_id for contact in closest}
    others = sorted(
        (c for c in acting if c.territory_id in within and c.pk not in named),
        key=lambda c: (*_size(c.territory), c.name),
    )
    return with_card(Serving(groups=list(groups.values()), collectivites=others))


def carrier_card(collectivite: Collectivite, contacts: list[Contact]) -> Card:
    """Who handles a scheme at `collectivite`, its carrier, when the source names nobody
    else: its officers (`contacts`, its published officers, the central contact first)
    with a phone or an e-mail, else its postal address or web site; the card says so
    plainly where the sources give none."""
    closeness = _size(collectivite.territory)
    points = [
        Point(contact, collectivite, collectivite.territory, closeness)
        for contact in sorted(contacts, key=_order)
        if contact.role == ContactRole.OFFICER
    ]
    points.append(Point(None, collectivite, collectivite.territory, closeness))
    chosen = card_for(points)
    # An officer without coordinates is not "closer" than the collectivité's own address:
    # the card names whom to write to, without a detour.
    return Card(point=chosen.point, channels=chosen.channels)


def _size(territory: Territory) -> tuple:
    # The smaller, the more local.
    return (territory.rank, territory.commune_count)


def _closeness(served) -> tuple:
    territory = served["territory"] if isinstance(served, dict) else served.territory
    return (territory.rank, territory.commune_count)


def _point_order(point: Point) -> tuple:
    # Most local first; at the same level, named contacts (staff first) before the
    # collectivités that name nobody.
    contact = point.contact
    if contact is None:
        return (*point.closeness, 1, point.collectivite.name, ())
    return (*point.closeness, 0, point.collectivite.name, _order(contact))


def _order(contact: Contact) -> tuple:
    # The central contact, then the CTES, officers before elected representatives.
    return (not contact.is_central, not contact.is_ctes, contact.role, contact.order, contact.pk)


# --- Typos ---------------------------------------------------------------------------------

# How alike a typed name and a commune's name must be to be offered: PostgreSQL's trigram
# similarity ("nancyy" and "nancy": 0.62), or, without it, difflib's ratio (0.91).
SIMILARITY = 0.4
RATIO = 0.75
CLOSE_MATCHES = 5
# Without PostgreSQL, names are compared among the communes whose name starts with the
# same two letters (at most this many), or the communes of the codes typed.
CANDIDATES = 5000


def close_communes(query: str, limit: int = CLOSE_MATCHES) -> list[Territory]:
    """Communes whose name is close to the name typed in `query` ("Nancyy" → Nancy), the
    closest first (then the most populated), limited to the communes of the postal or
    INSEE codes typed with it. Trigram similarity on PostgreSQL (pg_trgm); on SQLite,
    difflib among a bounded set of candidates. Two queries at most."""
    words = [word for word in query.split() if not CODE_RE.match(word)]
    codes = [word.upper() for word in query.split() if CODE_RE.match(word)]
    folded = normalize(" ".join(words))
    if len(folded) < 3:
        return []
    communes = Territory.objects.communes()
    if codes:
        communes = communes.filter(postal_codes__code__in=codes) | communes.filter(code__in=codes)
    by_size = (F("population").desc(nulls_last=True), "search_name", "code")
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import TrigramSimilarity

        return list(
            communes.annotate(similarity=TrigramSimilarity("search_name", folded))
            .filter(similarity__gte=SIMILARITY)
            .distinct()
            .order_by("-similarity", *by_size)[:limit]
        )
    if not codes:
        communes = communes.filter(search_name__startswith=folded[:2])
    names = dict(communes.order_by(*by_size).values_list("pk", "search_name")[:CANDIDATES])
    scores = {pk: difflib.SequenceMatcher(None, folded, name).ratio() for pk, name in names.items()}
    close = sorted(
        (pk for pk, score in scores.items() if score >= RATIO),
        key=lambda pk: -scores[pk],
    )[:limit]
    found = Territory.objects.in_bulk(close)
    return [found[pk] for pk in close]
