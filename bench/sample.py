"""The URLs `make bench` computes from the database at each run, after bench/urls.txt's fixed
list, so that the benchmark cannot be tuned to its list (issue 24).

- **Computed** pages, the same for a given database: the largest département and the
  largest région (by population) on their page, on every list filtered by them and at a deep
  page of the actors list, the largest département's actors of its most frequent family;
  the largest commune's page, its actors and its contact finder; a common word of the
  published actors (the most frequent of at least 5 letters that is not a stopword) on the
  search page and the actors list, in French and in English.
- **The sample**, drawn at each run from a seed (bench/run: the date, YYYYMMDD): 20
  territories of every kind, half drawn by population (large ones), half uniformly (most
  territories are small), each on one page type in turn (its page, the actors, events or
  schemes filtered by it, the contact finder by one of its postal codes or its name); and 10
  words of the dataset (actors', events' and schemes' names and descriptions), half drawn by
  frequency, half uniformly, each on the search page or a list's `q`. Their labels start with
  "sample: ", which the report reads.

Every path is built with the site's own `reverse()`; nothing here is hard-coded to a
territory or a word.
"""

from __future__ import annotations

import math
import random
import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, F
from django.http import QueryDict
from django.urls import reverse
from django.utils import translation

from actors.filters import ActorFilterSet
from actors.models import Actor
from core.pagination import MAX_RESULTS, bounded_count
from events.models import Event
from territories.models import PostalCode, Scheme, Territory, TerritoryInclusion, TerritoryKind

SAMPLE_PREFIX = "sample: "
# How the labels of the computed pages start (the sample's start with SAMPLE_PREFIX).
COMPUTED = ("largest ", "common word ", SAMPLE_PREFIX)
TERRITORIES = 20
WORDS = 10
# Rows read per model to find the dataset's words: spread over the whole table (every n-th
# key), so that the cost stays bounded at 1 million structures.
ROWS_READ = 4000
MIN_LETTERS = 5
WORD_RE = re.compile(rf"[^\W\d_]{{{MIN_LETTERS},}}")
# Words of at least 5 letters that say nothing of a structure (French, then English).
_STOPWORDS = """
    ainsi alors après aucun aussi autre autres avant avoir avons cette celle celles celui
    certains chaque chez comme comment contre dans depuis elles encore entre était être
    faire leurs leur lors mais même nous notre nôtre parce pendant plusieurs pour pourquoi
    quand quelle quelles quelque quelques selon seront sinon sont toute toutes travers très
    votre vôtre vous généré générée générés générées mesures performance
    about after again being below between could every other their there these those through
    under where which while would your yours
"""
STOPWORDS = frozenset(_STOPWORDS.split())
# The share of each kind of territory in the sample; the rest are communes.
KIND_SHARES = [
    ((TerritoryKind.REGION,), 0.1),
    ((TerritoryKind.DEPARTEMENT,), 0.2),
    ((TerritoryKind.EPCI, TerritoryKind.EPT), 0.2),
    ((TerritoryKind.GROUPEMENT,), 0.05),
]
TERRITORY_PAGES = ["page", "acteurs", "evenements", "contacts", "dispositifs"]
WORD_PAGES = ["search", "acteurs", "evenements", "dispositifs", "search en"]


@dataclass(frozen=True)
class Url:
    label: str
    path: str
    note: str = ""

    def line(self) -> str:
        return "\t".join(clean(part) for part in (self.label, self.path, self.note)).rstrip("\t")


def clean(text: str) -> str:
    """One TSV field: no tab, no line break, no "|" (the report's Markdown tables)."""
    return re.sub(r"[\t\r\n|]+", " ", text).strip()


def site_path(name: str, language: str = "fr", query: dict | None = None, **kwargs) -> str:
    with translation.override(language):
        path = reverse(name, kwargs=kwargs or None)
    return f"{path}?{urlencode(query)}" if query else path


def list_path(kind: str, language: str = "fr", **query) -> str:
    names = {
        "acteurs": "actors:list",
        "evenements": "events:list",
        "dispositifs": "territories:scheme_list",
        "collectivites": "territories:collectivite_list",
        "contacts": "territories:contact_finder",
        "search": "site:search",
    }
    return site_path(names[kind], language, query or None)


def territory_path(territory: Territory) -> str:
    return site_path("site:territory", slug=territory.slug)


def population(territory: Territory) -> str:
    return (
        "population unknown"
        if territory.population is None
        else (f"population {territory.population:,}".replace(",", " "))
    )


# ---- computed pages ----------------------------------------------------------------------------
def largest(kind: str) -> Territory | None:
    return (
        Territory.objects.filter(kind=kind)
        .order_by(F("population").desc(nulls_last=True), "code")
        .first()
    )


def postal_code(commune: Territory, rng: random.Random | None = None) -> str | None:
    codes = list(
        PostalCode.objects.filter(commune=commune).order_by("code").values_list("code", flat=True)
    )
    if not codes:
        return None
    return rng.choice(codes) if rng else codes[0]


def deepest_actor_page(territory: Territory) -> int:
    """The last page of the actors list filtered by `territory` a visitor can reach (the
    list stops at MAX_RESULTS rows), counted as the list counts it."""
    filterset = ActorFilterSet(
        data=QueryDict(f"territoire={territory.short_slug}"),
        queryset=Actor.objects.published().for_list().order_by("name", "id"),
    )
    if not filterset.is_valid():
        return 1
    found = min(bounded_count(filterset.qs, MAX_RESULTS), MAX_RESULTS)
    return max(1, math.ceil(found / settings.PAGE_SIZE))


def most_frequent_family(territory: Territory) -> str | None:
    """The ESS family of most of the published structures acting in `territory` (the
    longest list of a family there), counted from the structures themselves; None when
    none acts there."""
    found = (
        Actor.objects.published()
        .filter(places__territory=territory)
        .values("family")
        .annotate(structures=Count("pk"))
        .order_by("-structures", "family")
        .first()
    )
    return found["family"] if found else None


def computed_urls(words: Counter | None = None) -> list[Url]:
    urls: list[Url] = []
    departement = largest(TerritoryKind.DEPARTEMENT)
    if departement:
        note = f"{departement.name}, {population(departement)}"
        short = departement.short_slug
        urls.append(Url("largest departement: page", territory_path(departement), note))
        for kind in ("acteurs", "evenements", "dispositifs", "collectivites"):
            urls.append(
                Url(f"largest departement: {kind}", list_path(kind, territoire=short), note)
            )
        if (page := deepest_actor_page(departement)) > 1:
            urls.append(
                Url(
                    "largest departement: acteurs deep page",
                    list_path("acteurs", territoire=short, page=page),
                    f"{note}, the last page ({page})",
                )
            )
        if family := most_frequent_family(departement):
            urls.append(
                Url(
                    "largest departement: acteurs of a family",
                    list_path("acteurs", territoire=short, famille=family),
                    f"{note}, its most frequent family ({family})",
                )
            )
    region = largest(TerritoryKind.REGION)
    if region:
        note = f"{region.name}, {population(region)}"
        urls.append(Url("largest region: page", territory_path(region), note))
        if (page := deepest_actor_page(region)) > 1:
            urls.append(
                Url(
                    "largest region: acteurs deep page",
                    list_path("acteurs", territoire=region.short_slug, page=page),
                    f"{note}, the last page ({page})",
                )
            )
    commune = largest(TerritoryKind.COMMUNE)
    if commune:
        note = f"{commune.name}, {population(commune)}"
        urls.append(Url("largest commune: page", territory_path(commune), note))
        urls.append(
            Url(
                "largest commune: acteurs",
                list_path("acteurs", territoire=commune.short_slug),
                note,
            )
        )
        if code := postal_code(commune):
            urls.append(
                Url("largest commune: contacts", list_path("contacts", q=code), f"{note}, {code}")
            )
    common = common_words(words if words is not None else actor_words())
    # The data is French: the English pages are searched with the next most frequent word,
    # so that the two languages do not share one query.
    for language, word in zip(("fr", "en"), common, strict=False):
        note = f"the {'most' if language == 'fr' else 'second most'} frequent word of the actors"
        urls.append(
            Url(
                f"common word {language}: search",
                list_path("search", language, q=word),
                f"'{word}', {note}",
            )
        )
        urls.append(
            Url(
                f"common word {language}: acteurs",
                list_path("acteurs", language, q=word),
                f"'{word}', {note}",
            )
        )
    return urls


# ---- the words of the dataset ----------------------------------------------------------------
def words_of(text: str) -> list[str]:
    return [w for w in WORD_RE.findall(text.lower()) if w not in STOPWORDS]


def spread_rows(queryset, fields: list[str], rows: int = ROWS_READ):
    """Up to `rows` rows of `queryset`, every n-th key: the whole table, bounded."""
    keys = list(queryset.order_by("pk").values_list("pk", flat=True))
    step = max(1, math.ceil(len(keys) / rows))
    chosen = keys[::step]
    for start in range(0, len(chosen), 1000):
        yield from (
            queryset.filter(pk__in=chosen[start : start + 1000]).order_by("pk").values_list(*fields)
        )


def count_words(queryset, fields: list[str], rows: int = ROWS_READ) -> Counter:
    counter: Counter = Counter()
    for row in spread_rows(queryset, fields, rows):
        for value in row:
            counter.update(words_of(value or ""))
    return counter


def actor_words(rows: int = ROWS_READ) -> Counter:
    return count_words(
        Actor.objects.published(), ["name", "short_description", "description"], rows
    )


def dataset_words(rows: int = ROWS_READ, actors: Counter | None = None) -> Counter:
    counter = Counter(actors if actors is not None else actor_words(rows))
    counter.update(count_words(Event.objects.published(), ["title", "description"], rows))
    counter.update(
        count_words(Scheme.objects.published(), ["name", "summary", "description"], rows)
    )
    return counter


def common_words(counter: Counter, count: int = 2) -> list[str]:
    """The `count` most frequent words, ties broken alphabetically (stable)."""
    return [word for word, _ in sorted(counter.items(), key=lambda i: (-i[1], i[0]))[:count]]


# ---- the sample ----------------------------------------------------------------------------------
def draw(rng: random.Random, items: list, count: int, weight=None) -> list:
    """`count` distinct items, alternately by `weight` (the large ones) and uniformly (the
    many small ones), in a stable order for a given `rng`."""
    pool = list(items)
    chosen = []
    while pool and len(chosen) < count:
        weights = [max(weight(i), 0) for i in pool] if weight else None
        by_weight = weight is not None and len(chosen) % 2 == 0 and weights and any(weights)
        index = (
            rng.choices(range(len(pool)), weights=weights)[0]
            if by_weight
            else rng.randrange(len(pool))
        )
        chosen.append(pool.pop(index))
    return chosen


def kind_counts(total: int) -> list[tuple[tuple[str, ...], int]]:
    counts = [(kinds, int(total * share)) for kinds, share in KIND_SHARES]
    rest = total - sum(count for _, count in counts)
    return [*counts, ((TerritoryKind.COMMUNE,), rest)]


def draw_territories(rng: random.Random, count: int = TERRITORIES) -> list[Territory]:
    fields = ["pk", "kind", "code", "name", "slug", "short_slug", "population"]
    drawn: list[Territory] = []
    missing = 0
    for kinds, quota in kind_counts(count):
        if kinds == (TerritoryKind.COMMUNE,):
            quota += missing
        candidates = list(
            Territory.objects.filter(kind__in=kinds).order_by("kind", "code").only(*fields)
        )
        found = draw(rng, candidates, quota, weight=lambda t: t.population or 0)
        missing += quota - len(found)
        drawn += found
    rng.shuffle(drawn)
    return drawn


def member_commune(rng: random.Random, territory: Territory) -> Territory | None:
    if territory.kind == TerritoryKind.COMMUNE:
        return territory
    ids = list(
        TerritoryInclusion.objects.filter(container=territory, member__kind=TerritoryKind.COMMUNE)
        .order_by("member_id")
        .values_list("member_id", flat=True)
    )
    return Territory.objects.get(pk=rng.choice(ids)) if ids else None


def territory_url(rng: random.Random, territory: Territory, page: str) -> Url:
    kind = territory.kind
    name = f"{kind} {territory.name}"
    note = f"{territory.get_kind_display()}, {population(territory)}"
    if page == "page":
        return Url(f"{SAMPLE_PREFIX}{name}: page", territory_path(territory), note)
    if page == "contacts":
        commune = member_commune(rng, territory)
        code = postal_code(commune, rng) if commune else None
        if commune is not None:
            by_name = code is None or (commune == territory and rng.random() < 0.5)
            query = commune.name if by_name else code
            inside = "" if commune == territory else f", commune {commune.name}"
            return Url(
                f"{SAMPLE_PREFIX}{name}: contacts",
                list_path("contacts", q=query),
                f"{note}{inside}, by {'name' if by_name else 'postal code'}",
            )
        page = "acteurs"  # a territory without a commune: its actors instead
    return Url(
        f"{SAMPLE_PREFIX}{name}: {page}", list_path(page, territoire=territory.short_slug), note
    )


def word_url(word: str, page: str, occurrences: int) -> Url:
    note = f"{occurrences} occurrence(s) in the rows read"
    if page == "search en":
        return Url(
            f"{SAMPLE_PREFIX}word {word}: search en", list_path("search", "en", q=word), note
        )
    return Url(f"{SAMPLE_PREFIX}word {word}: {page}", list_path(page, q=word), note)


def sample_urls(
    seed: int,
    territories: int = TERRITORIES,
    words: int = WORDS,
    vocabulary: Counter | None = None,
) -> list[Url]:
    rng = random.Random(f"essdir-bench-sample-{seed}")
    urls = [
        territory_url(rng, territory, TERRITORY_PAGES[i % len(TERRITORY_PAGES)])
        for i, territory in enumerate(draw_territories(rng, territories))
    ]
    counter = vocabulary if vocabulary is not None else dataset_words()
    ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    drawn = draw(rng, ranked, words, weight=lambda item: item[1])
    urls += [
        word_url(word, WORD_PAGES[i % len(WORD_PAGES)], occurrences)
        for i, (word, occurrences) in enumerate(drawn)
    ]
    return urls


def all_urls(seed: int, territories: int = TERRITORIES, words: int = WORDS) -> list[Url]:
    actors = actor_words()
    return computed_urls(actors) + sample_urls(
        seed, territories, words, vocabulary=dataset_words(actors=actors)
    )
