"""schema.org description of a structure's page (JSON-LD)."""

from __future__ import annotations

from core.structured_data import CONTEXT, clean, place

# The schema.org type that fits each ESS family best.
ACTOR_TYPES = {"association": "NGO", "fondation": "NGO"}


def actor_ld(actor, base: str) -> dict:
    # The head office (listed first), or the first open establishment, gives the address.
    office = next(iter(actor.public_establishments), None)
    siret = office.siret if office else actor.siret
    identifiers = [
        {"@type": "PropertyValue", "propertyID": name, "value": value}
        for name, value in (("SIREN", actor.siren), ("SIRET", siret))
        if value
    ]
    address = geo = None
    if office is not None:
        address = clean(
            {
                "@type": "PostalAddress",
                "streetAddress": office.address,
                "postalCode": office.postal_code,
                "addressLocality": office.commune_label,
                "addressCountry": "FR",
            }
        )
        if office.latitude is not None and office.longitude is not None:
            geo = {
                "@type": "GeoCoordinates",
                "latitude": office.latitude,
                "longitude": office.longitude,
            }
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
            "address": address,
            "geo": geo,
            "areaServed": place(actor.territory),
            "knowsAbout": [theme.name for theme in actor.themes.all()],
        }
    )
