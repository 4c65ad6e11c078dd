"""Open data of territories' records in the national schemas: schemes as
`dispositif-aide` 0.2.0, collectivités as `collectivites` 0.1.0 (see fixtures/schemas)."""

from __future__ import annotations

import datetime
import re
import uuid
from zoneinfo import ZoneInfo

from core.exports import FORMULA_STARTS, Export, columns, is_public
from territories.models import Collectivite, CollectiviteKind, Scheme, SchemeKind, Territory

# Stable identifiers: the same record always gets the same UUID.
NAMESPACE = uuid.UUID("6f1c7a52-61d5-4c1e-9b3a-5e7d2f0c4a11")
PARIS = ZoneInfo("Europe/Paris")
NOT_GIVEN = "Non précisé par la source."

# dispositif-aide's `types_aides`, from the nature of the scheme.
AID_TYPES = {
    SchemeKind.APPEL_A_PROJETS: "financement",
    SchemeKind.AIDE_DIRECTE: "financement",
    SchemeKind.FONDS: "financement",
    SchemeKind.CONVENTION: "financement",
    SchemeKind.LABEL: "valorisation",
    SchemeKind.ACCOMPAGNEMENT: "accompagnement",
    SchemeKind.PROGRAMME: "accompagnement",
    SchemeKind.RESEAU: "information",
}
# `cibles`: ESS schemes are for associations and ESS enterprises unless their eligibility
# says otherwise; the schema allows four values only.
TARGETS = [
    ("associations", re.compile(r"associati", re.I)),
    ("professionnels", re.compile(r"entreprise|scop|scic|coop|structure|porteu|sias?e", re.I)),
    ("secteur public", re.compile(r"commune|collectivit|intercommunal|epci", re.I)),
    ("particuliers", re.compile(r"habitant|citoyen|particulier", re.I)),
]
COG_PREFIX = {"region": "REG", "departement": "DEP", "commune": "COM", "epci": "EPCI", "ept": "EPT"}


def stable_uuid(kind: str, pk: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"essdir:{kind}:{pk}"))


def utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def day_start(day: datetime.date | None) -> str:
    if day is None:
        return ""
    return utc(datetime.datetime.combine(day, datetime.time(), tzinfo=PARIS))


def cog_codes(territory: Territory | None) -> str:
    """The Code officiel géographique codes of an area, pipe-separated (REG-44, DEP-54…);
    a grouping by its EPCI."""
    if territory is None:
        return ""
    if territory.kind == "groupement":
        return "|".join(f"EPCI-{epci.code}" for epci in territory.grouping_epcis.all())
    return f"{COG_PREFIX[territory.kind]}-{territory.code}"


def scheme_targets(scheme: Scheme) -> str:
    text = f"{scheme.eligibility} {scheme.summary}"
    found = [value for value, pattern in TARGETS if pattern.search(text)]
    return "|".join(found or ["associations", "professionnels"])


def funders(scheme: Scheme) -> str:
    """`porteurs` as the schema writes it: [{ nom: '…', roles: [ 'porteur' ]}, …]."""

    def quoted(text: str) -> str:
        return text.replace("\\", "\\\\").replace("'", "\\'")

    parties = [(scheme.collectivite.name, "porteur")]
    parties += [
        (str(f), "financeur")
        for f in scheme.funders.all()
        # A funder collectivité the public may not see (draft, archived) is not named; a
        # funder named in words (no record) is.
        if (f.collectivite is None or is_public(f.collectivite)) and str(f) != parties[0][0]
    ]
    return (
        "["
        + ", ".join(f"{{ nom: '{quoted(name)}', roles: [ '{role}' ]}}" for name, role in parties)
        + "]"
    )


def bounded(text: str, max_length: int, ellipsis: str = "") -> str:
    """`text` within the schema's `maxLength`, with room for the quote the CSV puts before a
    cell that would start a formula (core.exports.neutralised)."""
    if text.startswith(FORMULA_STARTS):
        max_length -= 1
    if len(text) <= max_length:
        return text
    return text[: max_length - len(ellipsis)] + ellipsis


def scheme_row(scheme: Scheme, base_url: str) -> dict:
    description = (
        scheme.description or scheme.summary or "Description non communiquée par la source."
    )
    return {
        "id": stable_uuid("dispositif", scheme.pk),
        "titre": scheme.name,
        "promesse": bounded(scheme.summary, 180),
        "description": bounded(description, 5000, ellipsis=" …"),
        "eligibilite": scheme.eligibility
        or "Conditions d'éligibilité non précisées par la source.",
        "types_aides": AID_TYPES.get(scheme.kind, "information"),
        "porteurs": funders(scheme),
        "programmes_parents": "",
        "url_source": base_url + scheme.get_absolute_url(),
        "cibles": scheme_targets(scheme),
        "eligibilite_geographique": cog_codes(scheme.territory or scheme.collectivite.territory),
        "eligibilite_geographique_exclusions": "",
        "date_ouverture": day_start(scheme.opens_on),
        "date_cloture": day_start(scheme.closes_on),
        "date_mise_a_jour": utc(scheme.updated_at),
    }


SCHEMES = Export(
    name="dispositifs",
    columns=columns(
        id=str,
        titre=str,
        promesse=str,
        description=str,
        eligibilite=str,
        types_aides=str,
        porteurs=str,
        programmes_parents=str,
        url_source=str,
        cibles=str,
        eligibilite_geographique=str,
        eligibilite_geographique_exclusions=str,
        date_ouverture=str,
        date_cloture=str,
        date_mise_a_jour=str,
    ),
    row=scheme_row,
    schema="dispositif-aide 0.2.0",
)

# `type` of the schema: Commune, EPCI, Région or Département. Pays and PETR, public bodies
# grouping EPCI, are listed as EPCI (the closest of the four).
COLLECTIVITE_TYPES = {
    CollectiviteKind.REGION: "Région",
    CollectiviteKind.DEPARTEMENT: "Département",
    CollectiviteKind.COMMUNE: "Commune",
}


def collectivite_row(collectivite: Collectivite, base_url: str) -> dict:
    """A collectivité; its territory's départements and régions come prefetched as
    `area_links` (see CollectiviteQuerySet.for_export)."""
    territory = collectivite.territory
    areas = [link.container for link in territory.area_links]
    return {
        "id": stable_uuid("collectivite", collectivite.pk),
        "nom": collectivite.name,
        "type": COLLECTIVITE_TYPES.get(collectivite.kind, "EPCI"),
        "codeInsee": territory.code if territory.kind == "commune" else "",
        "codeDepartements": sorted(a.code for a in areas if a.kind == "departement"),
        "codeRegions": sorted(a.code for a in areas if a.kind == "region"),
        "codeEpci": territory.code if territory.kind in ("epci", "ept") else "",
        "siren": "",
        "createdAt": utc(collectivite.created_at),
        "updatedAt": utc(collectivite.updated_at),
    }


COLLECTIVITES = Export(
    name="collectivites",
    columns=columns(
        id=str,
        nom=str,
        type=str,
        codeInsee=str,
        codeDepartements=list[str],
        codeRegions=list[str],
        codeEpci=str,
        siren=str,
        createdAt=str,
        updatedAt=str,
    ),
    row=collectivite_row,
    schema="collectivites 0.1.0",
)
