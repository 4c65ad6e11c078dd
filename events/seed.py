"""Seed loading for events, after territories and actors (see core.seedkit)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

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


WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
# "jeudi 2 décembre", "Jeudi 02 décembre", "samedi 1er juin": a weekday, a day and a month.
WEEKDAY_DAY_MONTH = re.compile(
    rf"\b({'|'.join(WEEKDAYS)})\s+(\d{{1,2}})(?:er)?\s+({'|'.join(MONTHS)})\b", re.IGNORECASE
)


def document_date(source) -> datetime.date | None:
    """The day a source document dates itself (its `as_of`, when a full date)."""
    try:
        return datetime.date.fromisoformat(source.as_of)
    except ValueError:
        return None


def inferred_date(label: str, sources: Iterable) -> datetime.date | None:
    """The date a label without a year means ("jeudi 2 décembre"), when the weekday it
    gives and the date of its source document determine the year: of the document's year,
    the year before and the year after, the one where that day falls on that weekday (a
    date's weekday moves on by one or two days a year, so at most one does). None when the
    label gives no weekday, no source is dated to the day, or nothing (or not one same
    date for every dated source) matches: the date then stays incomplete."""
    found = WEEKDAY_DAY_MONTH.search(label or "")
    if found is None:
        return None
    weekday = WEEKDAYS.index(found[1].lower())
    day, month = int(found[2]), MONTHS.index(found[3].lower()) + 1
    answers = set()
    for document in filter(None, map(document_date, sources)):
        matches = []
        for year in (document.year - 1, document.year, document.year + 1):
            try:
                candidate = datetime.date(year, month, day)
            except ValueError:
                continue
            if candidate.weekday() == weekday:
                matches.append(candidate)
        if len(matches) != 1:
            return None
        answers.add(matches[0])
    return answers.pop() if len(answers) == 1 else None


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
        sources = loader.recall_all("source", row.get("sources"), where)
        # A day and month without a year: the year only where the weekday the source gives
        # and the source's own date determine it (the page says it was inferred).
        year_inferred = False
        if (
            start is None
            and precision == DatePrecision.UNKNOWN
            and not recurrence
            and (inferred := inferred_date(str(row.get("date_label") or ""), sources))
        ):
            start, precision, year_inferred = inferred, DatePrecision.DAY, True
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
                "year_inferred": year_inferred,
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
        loader.set_m2m(event, "sources", sources)
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
