"""The site-wide search: every kind of record for one query, grouped, with counts."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from actors.models import Actor
from essdir.core.pagination import bounded_count
from events.models import Event
from territories.models import Collectivite, Contact, Scheme, Territory

PER_GROUP = 5
PLACES = 5


def search_everything(query: str) -> dict:
    """{"groups": [{title, count, items, list_url}…], "total": n, "places": [communes]}."""
    # search() last: it orders by relevance.
    groups = [
        (
            "Collectivités",
            Collectivite.objects.published().for_list(),
            "territories:collectivite_list",
        ),
        ("Dispositifs", Scheme.objects.published().for_list(), "territories:scheme_list"),
        ("Acteurs", Actor.objects.published().for_list(), "actors:list"),
        ("Événements", Event.objects.published().for_list(), "events:list"),
        ("Contacts", Contact.objects.published().select_related("collectivite"), None),
    ]
    found = []
    for title, queryset, list_name in groups:
        matches = queryset.search(query)
        found.append(
            {
                "title": title,
                "count": bounded_count(matches),
                "items": list(matches[:PER_GROUP]),
                "list_url": f"{reverse(list_name)}?{urlencode({'q': query})}" if list_name else "",
            }
        )
    return {
        "groups": found,
        "total": sum(group["count"] for group in found),
        "places": list(Territory.objects.matching_place(query)[:PLACES]),
    }
