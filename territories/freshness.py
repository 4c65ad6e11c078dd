"""Which records staff should check again: never checked, or not for more than a year."""

from __future__ import annotations

import datetime

from django.urls import reverse


def stale_records(collectivites, today: datetime.date) -> list[dict]:
    """For each collectivité, its stale records grouped by kind, with admin links."""
    from actors.models import Actor
    from events.models import Event
    from territories.models import Budget, Contact, Scheme

    report = []
    for collectivite in collectivites:
        groups = []
        for model, records in [
            (type(collectivite), type(collectivite).objects.filter(pk=collectivite.pk)),
            (Contact, Contact.objects.filter(collectivite=collectivite)),
            (Budget, Budget.objects.filter(collectivite=collectivite)),
            (Scheme, Scheme.objects.filter(collectivite=collectivite)),
            (Event, Event.objects.filter(collectivite=collectivite)),
            (Actor, Actor.objects.filter(partnerships__collectivite=collectivite)),
        ]:
            opts = model._meta
            stale = [
                {
                    "label": str(record),
                    "checked_at": record.checked_at,
                    "url": reverse(
                        f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk]
                    ),
                }
                for record in records.stale(today).exclude(status="archived").order_by("pk")
            ]
            if stale:
                groups.append({"kind": opts.verbose_name_plural, "records": stale})
        report.append({"collectivite": collectivite, "groups": groups})
    return report
