"""Seed loading for events, after territories and actors (see core.seedkit)."""

from __future__ import annotations

from django.utils.text import slugify

from core.seedkit import Loader, SeedError, parse_date, parse_time, read_yaml, url
from events.models import DatePrecision, Event, EventParticipation, ParticipationRole, Recurrence
from territories.seed import territory

FIGURES = [
    "registered_structures",
    "appointments",
    "exhibitors",
    "candidates",
    "visitors",
    "participants",
]
RECURRENCES = {
    "yearly-november": Recurrence.YEARLY,
    "yearly": Recurrence.YEARLY,
    "annual": Recurrence.YEARLY,
    "quarterly": Recurrence.QUARTERLY,
    "monthly": Recurrence.MONTHLY,
    # Recurring with no regular rhythm the calendar could express: the label says it.
    "recurring": "",
}


def load(loader: Loader) -> None:
    """events.yaml: the events, their organisers and partners."""
    rows = read_yaml(loader.directory / "events.yaml", missing_ok=True)
    seen = set()
    for row in rows:
        slug = row.get("slug") or slugify(row["title"])[:140]
        where = f"events.yaml ({slug})"
        if slug in seen:
            raise SeedError(f"{where} : identifiant en double")
        seen.add(slug)
        start = parse_date(row.get("start_date"), where)
        precision = row.get("date_precision") or (
            DatePrecision.DAY if start else DatePrecision.UNKNOWN
        )
        recurrence = row.get("recurrence") or ""
        if recurrence not in RECURRENCES and recurrence != "":
            raise SeedError(f"{where} : récurrence inconnue {recurrence!r}")
        event = loader.upsert(
            Event,
            {"slug": slug},
            {
                "title": row["title"],
                "kind": row["kind"],
                "description": (row.get("description") or "").strip(),
                "start_date": start,
                "date_precision": precision,
                "date_label": str(row.get("date_label") or ""),
                "start_time": parse_time(row.get("start_time"), where),
                "end_date": parse_date(row.get("end_date"), where),
                "end_time": parse_time(row.get("end_time"), where),
                "venue": row.get("venue") or "",
                "address": (row.get("address") or "").strip(),
                "territory": territory(loader, row.get("territory"), where),
                "online": bool(row.get("online")),
                "registration_url": url(row.get("registration_url")),
                "mois_ess": bool(row.get("mois_ess")),
                "recurrence": RECURRENCES.get(recurrence, ""),
                "recurrence_label": row.get("recurrence_label") or "",
                "schedule_status": row.get("status") or "scheduled",
                "status": loader.status,
                **{name: (row.get("figures") or {}).get(name) for name in FIGURES},
            },
        )
        owner = next(
            (
                party["collectivite"]
                for key in ("organisers", "partners")
                for party in row.get(key) or []
                if party.get("collectivite")
            ),
            None,
        )
        owner = loader.recall("collectivité", owner, where) if owner else None
        if event.collectivite_id != (owner.pk if owner else None):
            event.collectivite = owner
            event.save(update_fields=["collectivite"])
        loader.set_m2m(event, "themes", loader.recall_all("thème", row.get("themes"), where))
        loader.set_m2m(event, "sources", loader.recall_all("source", row.get("sources"), where))
        for role, key in (
            (ParticipationRole.ORGANISER, "organisers"),
            (ParticipationRole.PARTNER, "partners"),
        ):
            for party in row.get(key) or []:
                if party.get("collectivite"):
                    lookup = {
                        "collectivite": loader.recall("collectivité", party["collectivite"], where)
                    }
                elif party.get("actor"):
                    lookup = {"actor": loader.recall("acteur", party["actor"], where)}
                else:
                    raise SeedError(f"{where} : participant inconnu {party!r}")
                loader.upsert(EventParticipation, {"event": event, "role": role, **lookup}, {})
