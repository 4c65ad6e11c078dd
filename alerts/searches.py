"""Saved searches: which lists one can subscribe to, and what is new in each.

A saved search is a list (`AlertList`) and its filters as a normalised query string. It is
read with the list's own FilterSet over its published records, so that a digest shows what
the list shows.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django import forms
from django.db import models
from django.http import QueryDict
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from actors.filters import ActorFilterSet
from actors.models import Actor
from alerts.models import AlertList, Subscription
from events.filters import EventFilterSet
from events.models import Event
from territories.filters import SchemeFilterSet, TerritoryField
from territories.models import Scheme, Territory

# Ordering and pages do not change what a search finds.
IGNORED_PARAMETERS = {"tri", "page"}
# The most records listed per section of a digest; the list's link shows the rest.
MAX_ITEMS = 20
# What a subscription can store (varchar columns: PostgreSQL refuses longer values, and a
# refused INSERT was a 500). The query is measured URL-encoded, as stored: a filter within
# its own limit may not fit (200 "é" in q are 1 200 characters once encoded).
QUERY_MAX_LENGTH = Subscription._meta.get_field("query").max_length
SUMMARY_MAX_LENGTH = Subscription._meta.get_field("summary").max_length


class InvalidSearch(Exception):
    """The list or its filters are not valid; `messages` says why, for people, and
    `territories` lists the candidates of a territory typed ambiguously."""

    def __init__(self, messages: list[str], territories: list[Territory] | None = None):
        super().__init__("; ".join(messages))
        self.messages = messages
        self.territories = territories or []


@dataclass(frozen=True)
class Section:
    """One list of the site, as a part of a digest."""

    key: str
    title: str
    filterset_class: type
    records: Callable[[], models.QuerySet]
    url_name: str

    def list_url(self, query: str) -> str:
        url = reverse(self.url_name)
        return f"{url}?{query}" if query else url


SECTIONS = {
    "dispositifs": Section(
        "dispositifs",
        _("Dispositifs"),
        SchemeFilterSet,
        lambda: Scheme.objects.published().for_list(),
        "territories:scheme_list",
    ),
    "acteurs": Section(
        "acteurs",
        _("Acteurs de l'ESS"),
        ActorFilterSet,
        lambda: Actor.objects.published().for_list(),
        "actors:list",
    ),
    "evenements": Section(
        "evenements",
        _("Événements"),
        EventFilterSet,
        lambda: Event.objects.published().for_list(),
        "events:list",
    ),
}

# A territory page's alert gathers its three lists, filtered on the territory.
SECTIONS_OF = {
    AlertList.ACTORS: ["acteurs"],
    AlertList.SCHEMES: ["dispositifs"],
    AlertList.EVENTS: ["evenements"],
    AlertList.TERRITORY: ["dispositifs", "acteurs", "evenements"],
}


class ListForm(forms.Form):
    """Which list an alert is about (the `liste` parameter of /alertes/creer/)."""

    liste = forms.ChoiceField(
        label=_("Liste"),
        choices=AlertList.choices,
        error_messages={
            "required": _(
                "Indiquez la liste à suivre (acteurs, dispositifs, événements ou territoire)."
            ),
            "invalid_choice": _("Liste inconnue : « %(value)s »."),
        },
    )


class TerritoryPageForm(forms.Form):
    """The filters of a territory page's alert: the territory alone."""

    territoire = TerritoryField(label=_("Territoire"))


# The most characters of a filter typed freely (keywords, legal form…) shown on the site's
# pages, on one line.
EXCERPT_LENGTH = 40


def excerpt(text: str) -> str:
    """`text` on one line, at most EXCERPT_LENGTH characters, in French quotes: control and
    format characters (line breaks, bidirectional overrides, zero-width…) become spaces,
    runs of spaces one space."""
    kept = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in text)
    line = " ".join(kept.split())
    if len(line) > EXCERPT_LENGTH:
        line = line[: EXCERPT_LENGTH - 1].rstrip() + "…"
    return f"« {line} »"


def labelled(label, value) -> str:
    """`Label : value`, as the active language writes it ("Label: value" in English)."""
    return gettext("%(label)s : %(value)s") % {"label": label, "value": value}


@dataclass(frozen=True)
class Criterion:
    """One filter of a saved search as it reads: its label, and its value either named by
    the site (a territory, a theme, a choice from a list, a date) or typed freely."""

    label: str
    shown: str
    free_text: bool = False

    def reads(self, *, free_text: str | None = None) -> str:
        """`Label : value`; a value typed freely reads `free_text` when given."""
        shown = free_text if self.free_text and free_text is not None else self.shown
        return labelled(self.label, shown)


@dataclass
class SavedSearch:
    """A list and its valid filters, normalised, as a subscription stores them."""

    search_list: str
    query: str
    criteria: list[Criterion] = field(default_factory=list)
    territory: Territory | None = field(default=None)

    @property
    def label(self) -> str:
        return AlertList(self.search_list).label

    @property
    def summary(self) -> str:
        """How the filters read on the site's pages (and as stored): free text as a short
        one-line excerpt."""
        return " · ".join(criterion.reads() for criterion in self.criteria)

    @property
    def mail_summary(self) -> str:
        """How the filters read in the e-mails: free text is not echoed at all.

        Confirmation and reminder e-mails go to whatever address was typed on the form,
        sent from the site's domain: anything typed in the search would reach that inbox,
        a relay for phishing text (up to 320 characters of q and forme, line breaks
        included, were copied verbatim). Even a 40-character excerpt can carry "call this
        number" or a link that mail clients make clickable, so no excerpt either; the
        filters chosen from lists are named by their labels, and the recipient who did ask
        knows what they typed (the pages behind the e-mail's links show it)."""
        return " · ".join(
            criterion.reads(free_text=str(_("(texte libre)"))) for criterion in self.criteria
        )

    def url(self) -> str:
        """The page of the site that shows this search."""
        return page_url(self.search_list, self.query, self.territory)


def page_url(search_list: str, query: str, territory: Territory | None = None) -> str:
    """The page of the site a saved search comes from (no query: a territory's short slug
    redirects to its page)."""
    if search_list == AlertList.TERRITORY:
        if territory is not None:
            return territory.get_absolute_url()
        slug = QueryDict(query).get("territoire", "")
        if slug:
            return reverse("site:territory", kwargs={"slug": slug})
        return reverse("territories:territory_list")
    return SECTIONS[SECTIONS_OF[search_list][0]].list_url(query)


def canonical_page_url(search_list: str, query: str) -> str:
    """page_url, with a territory's canonical address (one query) rather than a redirect."""
    territory = None
    if search_list == AlertList.TERRITORY:
        form = TerritoryPageForm(QueryDict(query))
        territory = form.cleaned_data["territoire"] if form.is_valid() else None
    return page_url(search_list, query, territory)


def _errors(form) -> list[str]:
    messages = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        messages.extend(labelled(label, error) if label else str(error) for error in errors)
    return messages


def _criterion(field: forms.Field, value, raw: str) -> Criterion:
    """How a filter's value reads for people."""
    if isinstance(value, models.Model):
        return Criterion(field.label, str(value))
    if value is True:
        return Criterion(field.label, str(_("oui")))
    if isinstance(value, datetime.date):
        return Criterion(field.label, formats.date_format(value, "j F Y"))
    choices = getattr(field, "choices", None)
    if choices:
        # Validated: one of the list's values.
        return Criterion(field.label, str(dict(choices).get(raw, raw)))
    if not isinstance(value, str):
        # Parsed into something else (a zone of the map: four numbers): its characters
        # are the parser's, only its spaces are dropped.
        return Criterion(field.label, "".join(raw.split()))
    return Criterion(field.label, excerpt(raw), free_text=True)


def _normalised(form) -> tuple[list[tuple[str, str]], list[Criterion]]:
    """The valid, non-empty filters of a bound, valid `form`: (name, value) pairs in the
    form's order, and how they read."""
    pairs, criteria = [], []
    for name, form_field in form.fields.items():
        if name in IGNORED_PARAMETERS:
            continue
        value = form.cleaned_data.get(name)
        if value in (None, "", False, []):
            continue
        if isinstance(value, Territory):
            raw, criterion = value.short_slug, Criterion(form_field.label, str(value))
        else:
            raw = str(form.data.get(name, "")).strip()
            criterion = _criterion(form_field, value, raw)
        if raw:
            pairs.append((name, raw))
            criteria.append(criterion)
    return pairs, criteria


def saved_search(*, search_list: str, params: QueryDict) -> SavedSearch:
    """The list `search_list` filtered by `params` (a query string), validated and
    normalised; raises InvalidSearch with messages for people."""
    if search_list not in SECTIONS_OF:
        raise InvalidSearch([str(_("Liste inconnue."))])
    if search_list == AlertList.TERRITORY:
        form = TerritoryPageForm(params)
    else:
        form = SECTIONS[SECTIONS_OF[search_list][0]].filterset_class(params).form
    if not form.is_valid():
        territory_field = form.fields.get("territoire")
        raise InvalidSearch(_errors(form), getattr(territory_field, "matches", []))
    pairs, criteria = _normalised(form)
    search = SavedSearch(
        search_list=search_list,
        query=urlencode(pairs),
        criteria=criteria,
        territory=form.cleaned_data.get("territoire"),
    )
    if len(search.query) > QUERY_MAX_LENGTH or len(search.summary) > SUMMARY_MAX_LENGTH:
        raise InvalidSearch(
            [
                str(
                    _(
                        "Cette recherche est trop longue pour être suivie par une alerte : "
                        "raccourcissez les mots-clés ou retirez des filtres (une lettre "
                        "accentuée compte pour plusieurs caractères)."
                    )
                )
            ]
        )
    return search


def mail_summary(*, search_list: str, query: str) -> str:
    """How a stored search's filters read in the e-mails (SavedSearch.mail_summary), worked
    out anew from its query: a summary stored before free text was left out may hold it.
    Empty if the search is no longer valid."""
    try:
        return saved_search(search_list=search_list, params=QueryDict(query)).mail_summary
    except InvalidSearch:
        return ""


@dataclass
class SectionChanges:
    """What is new or changed in one section of a saved search, during a window."""

    section: Section
    items: list
    total: int
    query: str
    window_start: datetime.datetime

    @property
    def url(self) -> str:
        """The section's list with the search's filters, in the active language (the
        e-mail's: see alerts.mail)."""
        return self.section.list_url(self.query)

    def is_new(self, record) -> bool:
        return record.created_at >= self.window_start

    @property
    def rows(self) -> list[tuple[object, bool]]:
        """(record, is it new) pairs, for the templates."""
        return [(record, self.is_new(record)) for record in self.items]

    @property
    def more(self) -> int:
        return self.total - len(self.items)


def changes(
    *, search_list: str, query: str, start: datetime.datetime, end: datetime.datetime
) -> list[SectionChanges]:
    """What the saved search finds created or changed in [start, end), per section, most
    recently changed first (sections with nothing are left out).

    Half-open, so that consecutive windows (each digest's starts where the last one ended)
    report a change once, and `end` (the committed horizon, see
    alerts.services.committed_horizon) is where changes not yet visible may begin."""
    found = []
    for key in SECTIONS_OF[search_list]:
        section = SECTIONS[key]
        filterset = section.filterset_class(QueryDict(query), queryset=section.records())
        if not filterset.is_valid():
            raise InvalidSearch(_errors(filterset.form))
        records = filterset.qs.filter(updated_at__gte=start, updated_at__lt=end).order_by(
            "-updated_at", "-pk"
        )
        total = records.count()
        if total:
            found.append(
                SectionChanges(
                    section=section,
                    items=list(records[:MAX_ITEMS]),
                    total=total,
                    query=query,
                    window_start=start,
                )
            )
    return found
