"""Seed loading for actors (called by territories.seed.load_seed)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.text import slugify

from actors.models import Actor, ActorPartnership, Family, SchemeRole

if TYPE_CHECKING:
    from territories.seed import Loader


def load_actors(loader: Loader) -> dict[str, Actor]:
    from territories.seed import SeedError, _read_yaml, _url

    path = loader.directory / "actors.yaml"
    rows = _read_yaml(path) if path.exists() else []
    actors: dict[str, Actor] = {}
    for row in rows:
        slug = row.get("slug") or slugify(row["name"])
        where = f"actors.yaml ({slug})"
        if slug in actors:
            raise SeedError(f"{where} : identifiant en double")
        actor = loader.upsert(
            Actor,
            {"slug": slug},
            {
                "name": row["name"],
                "short_description": (row.get("short_description") or "").strip(),
                "description": (row.get("description") or "").strip(),
                "family": row.get("family") or Family.UNKNOWN,
                "subtype": row.get("subtype") or "",
                "legal_form": row.get("legal_form") or "",
                "is_network": bool(row.get("is_network")),
                "siren": str(row.get("siren") or ""),
                "website": _url(row.get("website")),
                "phone": str(row.get("phone") or ""),
                "email": row.get("email") or "",
                "territory": loader.territory(row.get("territory"), where),
                "status": loader.status,
            },
        )
        loader.set_m2m(actor, "themes", loader.themes(row.get("themes"), where))
        loader.set_m2m(actor, "sources", loader.sources(row.get("sources"), where))
        actors[slug] = actor
        for partnership in row.get("partner_of") or []:
            loader.upsert(
                ActorPartnership,
                {
                    "actor": actor,
                    "collectivite": loader.collectivite(partnership["collectivite"], where),
                },
                {"note": partnership.get("note", "")},
            )
    for row in rows:
        slug = row.get("slug") or slugify(row["name"])
        networks = []
        for network_slug in row.get("member_of") or []:
            if network_slug not in actors:
                raise SeedError(f"actors.yaml ({slug}) : réseau inconnu {network_slug!r}")
            networks.append(actors[network_slug])
        loader.set_m2m(actors[slug], "member_of", networks)
    for scheme, actor_slug, role in loader.pending_scheme_roles:
        if actor_slug not in actors:
            raise SeedError(f"dispositif {scheme.slug} : acteur inconnu {actor_slug!r}")
        loader.upsert(SchemeRole, {"actor": actors[actor_slug], "scheme": scheme, "role": role}, {})
    loader.actors = actors
    return actors
