"""Which records staff should check again: never checked, or not for more than a year."""

from __future__ import annotations

import datetime

from django.urls import reverse

from actors.models import Actor
from core.publication import PublicationStatus
from events.models import Event
from territories import access
from territories.models import Budget, Collectivite, Contact, Scheme

# The kinds of records staff keep up to date.
KEPT_MODELS = [Collectivite, Contact, Budget, Scheme, Event, Actor]


def kept_by(model, collectivites):
    """The records of `model` the staff of `collectivites` (ids or a queryset)
    keep up to date."""
    if model is Collectivite:
        return Collectivite.objects.filter(pk__in=collectivites)
    if model is Actor:
        # Their partners, not every structure of their territory: those come from SIRENE.
        return Actor.objects.partners_of(collectivites)
    return model._default_manager.owned_by(collectivites)


def records_kept_by(collectivite: Collectivite) -> list:
    """The querysets of what `collectivite`'s staff keep up to date, one per kind."""
    return [kept_by(model, [collectivite.pk]) for model in KEPT_MODELS]


def to_review(records, today: datetime.date):
    """Those of `records` to check again: stale, and still on the site (not archived)."""
    return records.stale(today).exclude(status=PublicationStatus.ARCHIVED)


def collectivites_of(user):
    """The collectivités whose records `user` keeps: theirs, or all for the network."""
    if access.is_network_admin(user):
        return Collectivite.objects.all()
    return sorted(access.collectivite_ids(user))


def stale_records(collectivites, today: datetime.date) -> list[dict]:
    """For each collectivité, its stale records grouped by kind, with admin links."""
    report = []
    for collectivite in collectivites:
        groups = []
        for records in records_kept_by(collectivite):
            opts = records.model._meta
            stale = [
                {
                    "label": str(record),
                    "checked_at": record.checked_at,
                    "url": reverse(
                        f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk]
                    ),
                }
                for record in to_review(records, today).order_by("pk")
            ]
            if stale:
                groups.append({"kind": opts.verbose_name_plural, "records": stale})
        report.append({"collectivite": collectivite, "groups": groups})
    return report
