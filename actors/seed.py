"""Seed loading for actors, after territories (see core.seedkit)."""

from __future__ import annotations

from django.utils.text import slugify

from actors.models import Actor, ActorPartnership, Family, SchemeRole, SireneState
from core.seedkit import Loader, SeedError, read_yaml, url
from territories.seed import territory


def load(loader: Loader) -> None:
    """actors.yaml: the structures, their partnerships, networks and scheme roles."""
    rows = read_yaml(loader.directory / "actors.yaml", missing_ok=True)
    for row in rows:
        slug = row.get("slug") or slugify(row["name"])
        where = f"actors.yaml ({slug})"
        if slug in loader.known["acteur"]:
            raise SeedError(f"{where} : identifiant en double")
        values = {
            "name": row["name"],
            "short_description": (row.get("short_description") or "").strip(),
            "description": (row.get("description") or "").strip(),
            "family": row.get("family") or Family.UNKNOWN,
            "subtype": row.get("subtype") or "",
            "legal_form": row.get("legal_form") or "",
            "is_network": bool(row.get("is_network")),
            "siren": str(row.get("siren") or ""),
            "website": url(row.get("website")),
            "phone": str(row.get("phone") or ""),
            "email": row.get("email") or "",
            "territory": territory(loader, row.get("territory"), where),
            "status": loader.status,
        }
        official = (
            Actor.objects.filter(slug=slug)
            .values("siren", "sirene_imported_at", "sirene_state")
            .first()
        )
        if official and official["siren"] and not values["siren"]:
            # A SIREN staff attached stays: the SIRENE import fills the page from it.
            del values["siren"]
        if official and official["sirene_imported_at"]:
            # The legal form and family come from the SIRENE register once it knows the
            # structure; a structure it archived (unit ceased) stays archived.
            del values["legal_form"], values["family"]
            if official["sirene_state"] == SireneState.CEASED:
                del values["status"]
        actor = loader.upsert(Actor, {"slug": slug}, values)
        loader.set_m2m(actor, "themes", loader.recall_all("thème", row.get("themes"), where))
        loader.set_m2m(actor, "sources", loader.recall_all("source", row.get("sources"), where))
        loader.remember("acteur", slug, actor)
        for partnership in row.get("partner_of") or []:
            loader.upsert(
                ActorPartnership,
                {
                    "actor": actor,
                    "collectivite": loader.recall(
                        "collectivité", partnership["collectivite"], where
                    ),
                },
                {"note": partnership.get("note", "")},
            )
    for row in rows:
        slug = row.get("slug") or slugify(row["name"])
        where = f"actors.yaml ({slug})"
        networks = loader.recall_all("acteur", row.get("member_of"), where)
        loader.set_m2m(loader.recall("acteur", slug, where), "member_of", networks)
    for scheme, actor_slug, role in loader.scheme_roles:
        actor = loader.recall("acteur", actor_slug, f"dispositif {scheme.slug}")
        loader.upsert(SchemeRole, {"actor": actor, "scheme": scheme, "role": role}, {})
