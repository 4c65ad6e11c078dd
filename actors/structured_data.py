"""schema.org description of a structure's page (JSON-LD)."""

from __future__ import annotations

from essdir.core.structured_data import CONTEXT, clean, place

# The schema.org type that fits each ESS family best.
ACTOR_TYPES = {"association": "NGO", "fondation": "NGO"}


def actor_ld(actor, base: str) -> dict:
    identifiers = [
        {"@type": "PropertyValue", "propertyID": name, "value": value}
        for name, value in (("SIREN", actor.siren), ("SIRET", actor.siret))
        if value
    ]
    return clean(
        {
            "@context": CONTEXT,
            "@type": ACTOR_TYPES.get(actor.family, "Organization"),
            "@id": base + actor.get_absolute_url(),
            "name": actor.name,
            "description": actor.short_description or actor.description[:500],
            "url": actor.website or base + actor.get_absolute_url(),
            "telephone": actor.phone,
            "email": actor.email,
            "identifier": identifiers,
            "areaServed": place(actor.territory),
            "knowsAbout": [theme.name for theme in actor.themes.all()],
        }
    )
