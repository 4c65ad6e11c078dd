"""Which records staff should check again: never checked, or not for more than a year."""

from __future__ import annotations

import datetime

from django.urls import reverse

from actors.models import Actor
from events.models import Event
from territories.access import kept_by, to_review
from territories.models import Budget, Collectivite, Contact, Scheme

# The kinds of records staff keep up to date.
KEPT_MODELS = [Collectivite, Contact, Budget, Scheme, Event, Actor]


def records_kept_by(collectivite: Collectivite) -> list:
    """The querysets of what `collectivite`'s staff keep up to date, one per kind."""
    return [kept_by(model, [collectivite.pk]) for model in KEPT_MODELS]


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
