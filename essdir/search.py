"""The site-wide search: every kind of record for one query, grouped, each result saying what
it is, who carries it, where, and why it matched (the words marked in an excerpt)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from urllib.parse import urlencode

from django.contrib.humanize.templatetags.humanize import intcomma
from django.db import transaction
from django.db.models import Value
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from actors.models import Actor
from core.caching import bump_content_version
from core.exports import is_public
from core.pagination import bounded_label, rows_of_statements
from core.search import (
    among_candidates,
    best_first,
    candidate_keys,
    chosen_keys,
    search_terms,
)
from core.snippets import highlight, marked_terms, readable_line, snippet
from core.statements import Statement
from core.text import normalize
from core.together import rows_together
from essdir.languages import of
from events.models import Event
from territories import statements as territory_statements
from territories.models import Collectivite, Contact, Scheme, Territory
from territories.models.geography import PLACE_ORDER, place_terms

PER_GROUP = 5
PLACES = 5
EXCERPT = 220
# The search page shows 5 results of each kind, and links to the full list: it counts
# each kind up to 100 ("plus de 100") and ranks the best 100 title matches and 100 others,
# where a list counts to 1 000 and ranks 1 000 of each (a tenth of the work, "insertion"
# matching 14 000 structures).
COUNT_UP_TO = 100
CANDIDATES = 100


@dataclass
class Result:
    kind: str
    title: str
    url: str
    excerpt: str
    territory: Territory | None
    # (name, url) of the collectivités or structures that carry the record, and what they are.
    carriers: list[tuple[str, str]] = field(default_factory=list)
    carriers_label: str = _("Porté par")


@dataclass
class Kind:
    title: str
    singular: str
    queryset: Callable
    list_url: str | None
    title_of: Callable
    # The record's own sentences, where the excerpt is taken from.
    texts: Callable
    url: Callable
    carriers: Callable
    territory: Callable
    # The short readable line shown when no sentence of the record holds the words (it was
    # found by its themes, territory or carriers): what it is and whose, then its themes
    # and places ("Dispositif du Département des Hauts-de-Seine · Insertion et emploi").
    describe: Callable
    carriers_label: str = _("Porté par")


def _link(record) -> tuple[str, str]:
    return (str(record), record.get_absolute_url())


def _names(records) -> list[str]:
    return [record.name for record in records]


def _territory_name(record) -> str:
    return record.territory.name if record.territory else ""


KINDS = [
    Kind(
        _("Collectivités"),
        _("Collectivité"),
        lambda: Collectivite.objects.published().for_search(),
        "territories:collectivite_list",
        title_of=lambda c: c.name,
        texts=lambda c: [c.panorama, c.programme],
        url=lambda c: c.get_absolute_url(),
        carriers=lambda c: [],
        territory=lambda c: c.territory,
        describe=lambda c: [c.type_label or c.get_kind_display(), c.territory.name],
    ),
    Kind(
        _("Dispositifs"),
        _("Dispositif"),
        lambda: Scheme.objects.published().for_search().prefetch_related("themes"),
        "territories:scheme_list",
        title_of=lambda s: s.name,
        texts=lambda s: [s.summary, s.description, s.eligibility],
        url=lambda s: s.get_absolute_url(),
        carriers=lambda s: [_link(s.collectivite)],
        territory=lambda s: s.territory,
        describe=lambda s: [
            f"{_('Dispositif')} {of(s.collectivite.name)}",
            *_names(s.themes.all()),
            _territory_name(s),
        ],
    ),
    Kind(
        _("Acteurs"),
        _("Acteur"),
        lambda: Actor.objects.published().for_search().prefetch_related("themes"),
        "actors:list",
        title_of=lambda a: a.name,
        texts=lambda a: [a.short_description, a.description],
        url=lambda a: a.get_absolute_url(),
        carriers=lambda a: [_link(c) for c in a.partner_of.all() if c.is_published],
        territory=lambda a: a.territory,
        describe=lambda a: [
            a.get_family_display() if a.family != "unknown" else _("Structure de l'ESS"),
            *_names(a.themes.all()),
            _territory_name(a),
            a.legal_form,
        ],
        carriers_label=_("Partenaire de"),
    ),
    Kind(
        _("Événements"),
        _("Événement"),
        lambda: Event.objects.published().for_search().prefetch_related("themes"),
        "events:list",
        title_of=lambda e: e.title,
        texts=lambda e: [e.description],
        url=lambda e: e.get_absolute_url(),
        carriers=lambda e: [
            _link(link.party) for link in e.organiser_links if is_public(link.party)
        ],
        territory=lambda e: e.territory,
        describe=lambda e: [
            e.get_kind_display() if e.kind != "autre" else _("Événement"),
            e.date_label,
            e.venue,
            *_names(e.themes.all()),
            _territory_name(e),
        ],
        carriers_label=_("Organisé par"),
    ),
    Kind(
        _("Contacts"),
        _("Contact"),
        lambda: Contact.objects.published().for_search(),
        None,
        title_of=lambda c: " — ".join(part for part in (c.name, c.title) if part),
        texts=lambda c: [c.service],
        url=lambda c: c.collectivite.get_absolute_url(),
        carriers=lambda c: [_link(c.collectivite)],
        territory=lambda c: next(iter(c.territories.all()), None),
        describe=lambda c: [
            f"{c.get_role_display()} {of(c.collectivite.name)}",
            c.service,
            *_names(c.territories.all()),
        ],
    ),
]


def _same(a: str, b: str) -> bool:
    return normalize(a) == normalize(b)


def result(kind: Kind, record, query: str) -> Result:
    """One result: what it is, who carries it, where, and why it matched: the sentence of
    its own texts holding the words (marked), else a short readable line saying what it
    is, whose, and the themes or places it was found by; never its title again."""
    title = kind.title_of(record)
    excerpt, found = snippet(kind.texts(record), query, width=EXCERPT, avoid=[title])
    if not found or found < len(marked_terms(query)):
        # Some words are not in its own sentences: it may have been found by its themes,
        # places or carriers; their line, when it holds more of the words. (A sentence
        # holding them all needs no line: most results of a one-word search.)
        line, found_in_line = readable_line(kind.describe(record), query, avoid=[title])
        if not found or found_in_line > found:
            excerpt = line
    # Each name once: not the title again, nor the territory when a carrier bears its name.
    carriers = [(name, url) for name, url in kind.carriers(record) if not _same(name, title)]
    territory = kind.territory(record)
    if territory is not None and any(
        _same(territory.name, name) for name in [title, *(name for name, _url in carriers)]
    ):
        territory = None
    return Result(
        kind=kind.singular,
        title=highlight(title, query)[0],
        url=kind.url(record),
        excerpt=excerpt,
        territory=territory,
        carriers=carriers,
        carriers_label=kind.carriers_label,
    )


def _matches(*, kind: int, query: str, territory_ids: list[int]):
    matches = KINDS[kind].queryset()
    for territory_id in territory_ids:  # the territory searched around, if any
        matches = matches.around(Territory(pk=territory_id))
    return matches.search(query)


def _candidates(*, kind: int, query: str, territory_ids: list[int], titles: int, others: int):
    matches = _matches(kind=kind, query=query, territory_ids=territory_ids)
    return candidate_keys(matches, titles=titles, others=others)


def _best(*, kind: int, query: str, territory_ids: list[int], keys: str, size: int):
    matches = _matches(kind=kind, query=query, territory_ids=territory_ids)
    return among_candidates(matches, keys)[:size]  # last: it orders by relevance


def _worded(*, query: str, **arguments) -> bool:
    # A query without a word worth matching is not searched (core.search.text_search): its
    # SQL is not the one built from a stand-in word.
    return bool(search_terms(query))


# Kept compiled (core.statements): the same SQL for every word, on PostgreSQL (SQLite's
# search wraps the words in LIKE patterns, which core.statements never keeps).
_candidates_of = Statement(_candidates, bound=("query", "territory_ids"), kept_when=_worded)
_best_of = Statement(
    _best, bound=("query", "territory_ids", "keys"), kept_when=_worded, generic_plan=True
)


def _place_keys_of(*, codes: list[str], folded: str = "", pattern: str = ""):
    places = Territory.objects.communes_named(codes=codes, folded=folded, pattern=pattern)
    keys = places.annotate(_titled=Value(False), _rank=Value(0.0))
    return keys.values_list("pk", "_titled", "_rank")[:PLACES]


# Kept compiled, as the contact finder's (territories.statements): the communes a query
# names by its words (and codes), or by its codes alone.
_places_named_keys = Statement(_place_keys_of, bound=("codes", "folded", "pattern"))
_places_by_code_keys = Statement(_place_keys_of, bound=("codes",))


def _place_keys(query: str) -> list[tuple[str, tuple]]:
    """The statement of the keys of the communes `query` names (Territory.objects.
    matching_place), shaped as a kind's candidates (key, flag, rank), to be read with
    them; none when the query names no place."""
    named = territory_statements.named_arguments(query)
    if named is not None:
        return [_places_named_keys.sql(**named)]
    codes, _folded = place_terms(query)
    return [_places_by_code_keys.sql(codes=codes)] if codes else []


def search_everything(query: str, territory: Territory | None = None) -> dict:
    """{"groups": [{title, count, results, list_url}…], "total": n, "places": [communes]}."""
    where = {"query": query, "territory_ids": [territory.pk] if territory else []}
    # Every kind's candidates read at once (one statement): up to CANDIDATES title
    # matches, and the keys of up to COUNT_UP_TO + 1 matches, which count them too. Each
    # kind's best few are then ranked among its candidates alone, by key. The keys of the
    # communes the query names come with them, those communes with the bests.
    others = max(COUNT_UP_TO + 1, CANDIDATES)
    places_named = _place_keys(query)
    read = rows_of_statements(
        [
            *(
                _candidates_of.sql(kind=index, titles=CANDIDATES, others=others, **where)
                for index in range(len(KINDS))
            ),
            *places_named,
        ]
    )
    place_keys = [row[0] for row in read[len(KINDS)]] if places_named else []
    counts, ranked = [], []
    for index, rows in enumerate(read[: len(KINDS)]):
        chosen, match_keys = chosen_keys(rows, limit=CANDIDATES)
        counts.append(min(len(match_keys), COUNT_UP_TO + 1))
        if match_keys:
            # The best few by the ranks the candidates carry: only their rows are read.
            keys = ",".join(map(str, best_first(rows, chosen)[:PER_GROUP]))
            ranked.append((_best_of, dict(kind=index, keys=keys, size=PER_GROUP, **where)))
    places_read = [(territory_statements.territories, {"ids": place_keys})] if place_keys else []
    # Every kind's best ranked at once, and the communes named (one round trip on
    # PostgreSQL).
    read = rows_together(*ranked, *places_read)
    bests = iter(read[: len(ranked)])
    places = read[len(ranked)] if places_read else []
    params = {"q": query} | ({"territoire": territory.short_slug} if territory else {})
    groups = []
    for kind, count in zip(KINDS, counts, strict=True):
        best = next(bests) if count else []
        groups.append(
            {
                "title": kind.title,
                "count": count,
                "count_label": bounded_label(count, bound=COUNT_UP_TO),
                "results": [result(kind, record, query) for record in best],
                "list_url": f"{reverse(kind.list_url)}?{urlencode(params)}"
                if kind.list_url
                else "",
            }
        )
    total = sum(min(group["count"], COUNT_UP_TO) for group in groups)
    more = any(group["count"] > COUNT_UP_TO for group in groups)
    return {
        "groups": groups,
        "total": total,
        "total_label": _("plus de %(count)s") % {"count": intcomma(total)}
        if more
        else intcomma(total),
        # Read by key: put back in the order matching_place() gives them.
        "places": sorted(places, key=attrgetter(*PLACE_ORDER)),
    }


SEARCHABLE = (Collectivite, Contact, Scheme, Actor, Event)


@transaction.atomic
def refresh_search_contexts() -> int:
    """Recompute what every record is found by (after bulk loads); returns rows written."""
    written = sum(model.objects.all().refresh_search_context() for model in SEARCHABLE)
    if written:
        bump_content_version()
    return written
