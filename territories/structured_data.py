"""schema.org descriptions of the collectivité and scheme pages (JSON-LD)."""

from __future__ import annotations

from core.structured_data import CONTEXT, clean, place


def collectivite_ld(collectivite, contacts, base: str) -> dict:
    points = [
        clean(
            {
                "@type": "ContactPoint",
                "name": contact.name,
                "jobTitle": contact.title,
                "contactType": "économie sociale et solidaire",
                "telephone": contact.phone,
                "email": contact.email,
            }
        )
        for contact in contacts
    ]
    return clean(
        {
            "@context": CONTEXT,
            "@type": "GovernmentOrganization",
            "@id": base + collectivite.get_absolute_url(),
            "name": collectivite.name,
            "alternateName": collectivite.short_name,
            "url": collectivite.website or base + collectivite.get_absolute_url(),
            "address": collectivite.address,
            "areaServed": place(collectivite.territory),
            "contactPoint": points,
        }
    )


def scheme_ld(scheme, base: str) -> dict:
    return clean(
        {
            "@context": CONTEXT,
            "@type": "GovernmentService",
            "@id": base + scheme.get_absolute_url(),
            "name": scheme.name,
            "description": scheme.summary or scheme.description[:500],
            "serviceType": scheme.get_kind_display(),
            "provider": {
                "@type": "GovernmentOrganization",
                "name": scheme.collectivite.name,
                "url": base + scheme.collectivite.get_absolute_url(),
            },
            "areaServed": place(scheme.territory or scheme.collectivite.territory),
            "audience": {"@type": "Audience", "audienceType": scheme.eligibility[:300]}
            if scheme.eligibility
            else None,
            "url": base + scheme.get_absolute_url(),
        }
    )
