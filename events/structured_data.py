"""schema.org description of an event's page (JSON-LD)."""

from __future__ import annotations

from core.exports import is_public
from core.structured_data import CONTEXT, clean, moment


def event_ld(event, organisers, base: str) -> dict:
    mode = "OnlineEventAttendanceMode" if event.online else "OfflineEventAttendanceMode"
    if event.online and (event.venue or event.address):
        mode = "MixedEventAttendanceMode"
    status = "EventCancelled" if event.schedule_status == "cancelled" else "EventScheduled"
    location = None
    if event.venue or event.address or event.territory:
        location = clean(
            {
                "@type": "Place",
                "name": event.venue or (event.territory.name if event.territory else ""),
                "address": event.address or (event.territory.name if event.territory else ""),
            }
        )
    elif event.online:
        location = {"@type": "VirtualLocation", "url": event.registration_url or base}
    dated = event.has_full_date
    return clean(
        {
            "@context": CONTEXT,
            "@type": "Event",
            "@id": base + event.get_absolute_url(),
            "name": event.title,
            "description": event.description[:1000],
            "startDate": moment(event.start_date, event.start_time) if dated else None,
            "endDate": moment(event.end_date or event.start_date, event.end_time)
            if dated and (event.end_date or event.end_time)
            else None,
            "eventAttendanceMode": f"https://schema.org/{mode}",
            "eventStatus": f"https://schema.org/{status}",
            "location": location,
            "organizer": [
                {
                    "@type": "Organization",
                    "name": str(link.party),
                    "url": base + link.party.get_absolute_url(),
                }
                for link in organisers
                # Only published records leave the site (a hidden structure is published).
                if is_public(link.party)
            ],
            "url": event.registration_url or base + event.get_absolute_url(),
        }
    )
