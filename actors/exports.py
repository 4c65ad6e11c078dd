"""Open data of the ESS structures as data·inclusion `structure` v1 (fixtures/schemas),
followed by the ESS columns the schema lacks (SIREN, legal category, ESS family…)."""

from __future__ import annotations

import re

from actors.models import Actor
from core.exports import Export, columns, is_public

SOURCE = "essdir"
# data·inclusion's `reseaux_porteurs`, from the structure's type or its networks' names.
SUBTYPE_NETWORKS = {"esat": "esat", "entreprise_adaptee": "ea"}
NETWORK_NAMES = [
    ("emmaus", re.compile(r"emma[uü]s", re.I)),
    ("france-active", re.compile(r"france active", re.I)),
    ("initiative-france", re.compile(r"^initiative", re.I)),
    ("reseau-entreprendre", re.compile(r"r[ée]seau entreprendre", re.I)),
    ("adie", re.compile(r"\badie\b", re.I)),
    ("coorace", re.compile(r"coorace", re.I)),
    ("ressourceries", re.compile(r"ressourcerie", re.I)),
]


def networks(actor: Actor) -> list[str]:
    """The structure's own network and those of the networks it belongs to that the public
    may see (a draft, archived or hidden network is never named)."""
    found = [SUBTYPE_NETWORKS[actor.subtype]] if actor.subtype in SUBTYPE_NETWORKS else []
    for network in [actor, *(n for n in actor.member_of.all() if is_public(n))]:
        found += [value for value, pattern in NETWORK_NAMES if pattern.search(network.name)]
    return sorted(set(found))


def _name(actor: Actor) -> str:
    # The schema asks for 3 to 150 characters, not ending with a full stop.
    name = actor.name.strip().rstrip(".")[:150].rstrip(".")
    return name if len(name) >= 3 else f"{name} (structure)"


def actor_row(actor: Actor, base_url: str) -> dict:
    """One structure; its head office (or first open establishment) gives the address."""
    place = actor.export_establishments[0] if actor.export_establishments else None
    description = actor.short_description or actor.description
    return {
        "source": SOURCE,
        "id": actor.slug,
        "nom": _name(actor),
        "date_maj": actor.updated_at.date().isoformat(),
        "siret": place.siret if place else (actor.siret or None),
        "adresse": (place.address or None) if place else None,
        "complement_adresse": (place.address_complement or None) if place else None,
        "code_postal": (place.postal_code or None) if place else None,
        "commune": (place.commune_label or None) if place else None,
        "code_insee": (place.commune_code or None) if place else _commune_code(actor),
        "latitude": place.latitude if place else None,
        "longitude": place.longitude if place else None,
        "telephone": actor.phone or None,
        "courriel": actor.email or None,
        "site_web": actor.website or None,
        "description": description if len(description) >= 5 else None,
        "lien_source": base_url + actor.get_absolute_url(),
        "reseaux_porteurs": networks(actor) or None,
        "horaires_accueil": None,
        "accessibilite_lieu": None,
        # ESS columns, after the schema's own.
        "siren": actor.siren or None,
        "categorie_juridique": actor.legal_category or None,
        "forme_juridique": actor.legal_form or None,
        "famille_ess": actor.family,
        "code_naf": actor.naf_code or None,
        "thematiques_ess": [theme.name for theme in actor.themes.all()],
        "territoire": actor.territory.short_slug if actor.territory else None,
        "nombre_etablissements_ouverts": len(actor.export_establishments),
    }


def _commune_code(actor: Actor) -> str | None:
    territory = actor.territory
    return territory.code if territory and territory.kind == "commune" else None


ACTORS = Export(
    name="acteurs",
    columns=columns(
        source=str,
        id=str,
        nom=str,
        date_maj=str,
        siret=str | None,
        adresse=str | None,
        complement_adresse=str | None,
        code_postal=str | None,
        commune=str | None,
        code_insee=str | None,
        latitude=float | None,
        longitude=float | None,
        telephone=str | None,
        courriel=str | None,
        site_web=str | None,
        description=str | None,
        lien_source=str | None,
        reseaux_porteurs=list[str] | None,
        horaires_accueil=str | None,
        accessibilite_lieu=str | None,
        # ESS columns, after the schema's own.
        siren=str | None,
        categorie_juridique=str | None,
        forme_juridique=str | None,
        famille_ess=str,
        code_naf=str | None,
        thematiques_ess=list[str],
        territoire=str | None,
        nombre_etablissements_ouverts=int,
    ),
    row=actor_row,
    schema="data·inclusion structure v1 (1.0.8) + colonnes ESS",
)
