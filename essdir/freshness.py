"""Which records staff should check again: never checked, or not for more than a year."""

from __future__ import annotations

import datetime

from django.urls import reverse

from actors.models import Actor
from core.publication import PublicationStatus
from events.models import Event
from territories.models import Budget, Collectivite, Contact, Scheme


def records_kept_by(collectivite: Collectivite) -> list:
    """The querysets of what `collectivite`'s staff keep up to date, one per kind."""
    return [
        Collectivite.objects.filter(pk=collectivite.pk),
        Contact.objects.of(collectivite),
        Budget.objects.of(collectivite),
        Scheme.objects.of(collectivite),
        Event.objects.owned_by([collectivite]),
        # Its partners, not every structure of its territory: those come from SIRENE.
        Actor.objects.partners_of([collectivite]),
    ]


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
                for record in records.stale(today)
                .exclude(status=PublicationStatus.ARCHIVED)
                .order_by("pk")
            ]
            if stale:
                groups.append({"kind": opts.verbose_name_plural, "records": stale})
        report.append({"collectivite": collectivite, "groups": groups})
    return report
