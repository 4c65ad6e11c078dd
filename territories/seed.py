"""Seed loading for territories: sources, themes, collectivités and what they hold.

Called first by `essdir.seed.load_seed`; see `core.seedkit` for the rules.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.text import slugify

from core.seedkit import Loader, SeedError, parse_date, read_yaml, url
from territories.models import (
    Action,
    Budget,
    BudgetLine,
    Collectivite,
    Contact,
    KeyFigure,
    Scheme,
    SchemeFunder,
    Source,
    StrategicAxis,
    Territory,
    Theme,
)


def load(loader: Loader) -> None:
    """Sources and themes, then every collectivité, then what each holds."""
    for row in read_yaml(loader.directory / "sources.yaml"):
        load_source(loader, row)
    for row in read_yaml(loader.directory / "themes.yaml"):
        theme = loader.upsert(Theme, {"slug": row["slug"]}, {"name": row["name"]})
        loader.remember("thème", row["slug"], theme)
    files = sorted((loader.directory / "collectivites").glob("*.yaml"))
    documents = [(path, read_yaml(path)) for path in files]
    # Every collectivité first: schemes reference other collectivités as funders.
    for path, doc in documents:
        loader.remember("collectivité", doc["slug"], load_collectivite(loader, path.name, doc))
    for path, doc in documents:
        load_collectivite_records(
            loader, path.name, loader.recall("collectivité", doc["slug"], path.name), doc
        )


def territory(loader: Loader, slug: str | None, where: str) -> Territory | None:
    """The territory a slug names (from the geography, never created by the seed)."""
    if not slug:
        return None
    if slug not in loader.known["territoire"]:
        found = Territory.objects.by_slug(slug).first()
        if found is None:
            raise SeedError(f"{where} : territoire inconnu {slug!r}")
        loader.remember("territoire", slug, found)
    return loader.known["territoire"][slug]


def load_source(loader: Loader, row: dict) -> None:
    code = str(row["code"])
    source = loader.upsert(
        Source,
        {"code": code},
        {
            "title": row["title"],
            "publisher": row.get("publisher", ""),
            "file": row.get("file", ""),
            "url": url(row.get("url")),
            "as_of": str(row.get("as_of") or ""),
            "as_of_note": row.get("as_of_note", ""),
        },
    )
    loader.remember("source", code, source)


def load_collectivite(loader: Loader, where: str, doc: dict) -> Collectivite:
    collectivite = loader.upsert(
        Collectivite,
        {"slug": doc["slug"]},
        {
            "name": doc["name"],
            "short_name": doc.get("short_name", ""),
            "kind": doc["kind"],
            "type_label": doc.get("type_label", ""),
            "territory": territory(loader, doc["territory"], where),
            "population": doc.get("population"),
            "population_label": str(doc.get("population_label") or ""),
            "address": (doc.get("address") or "").strip(),
            "rtes_membership_year": doc.get("rtes_membership_year"),
            "rtes_role": doc.get("rtes_role", ""),
            "website": url(doc.get("website")),
            "panorama": (doc.get("panorama") or "").strip(),
            "programme": (doc.get("programme") or "").strip(),
            "status": loader.status,
        },
    )
    loader.set_m2m(collectivite, "sources", loader.recall_all("source", doc.get("sources"), where))
    return collectivite


def load_collectivite_records(
    loader: Loader, where: str, collectivite: Collectivite, doc: dict
) -> None:
    default_sources = doc.get("sources")
    for order, row in enumerate(doc.get("key_figures") or []):
        loader.upsert(
            KeyFigure,
            {"collectivite": collectivite, "label": row["label"]},
            {
                "value": str(row["value"]),
                "year": row.get("year"),
                "source_note": row.get("source_note", ""),
                "order": order,
            },
        )
    for order, row in enumerate(doc.get("axes") or []):
        loader.upsert(
            StrategicAxis,
            {"collectivite": collectivite, "title": row["title"]},
            {"description": (row.get("description") or "").strip(), "order": order},
        )
    for order, row in enumerate(doc.get("actions") or []):
        action = loader.upsert(
            Action,
            {"collectivite": collectivite, "title": row["title"]},
            {
                "period": str(row.get("period") or ""),
                "description": (row.get("description") or "").strip(),
                "order": order,
            },
        )
        loader.set_m2m(action, "themes", loader.recall_all("thème", row.get("themes"), where))
    for row in doc.get("schemes") or []:
        load_scheme(loader, where, collectivite, row, default_sources)
    for order, row in enumerate(doc.get("contacts") or []):
        contact = loader.upsert(
            Contact,
            {
                "collectivite": collectivite,
                "name": row.get("name") or "",
                "title": row.get("title") or "",
            },
            {
                "role": {"elected": "elu", "officer": "agent"}[row["role"]],
                "service": row.get("service", ""),
                "phone": str(row.get("phone") or ""),
                "email": row.get("email", ""),
                "is_central": bool(row.get("is_central")),
                "is_ctes": bool(row.get("is_ctes")),
                "order": order,
                "status": loader.status,
            },
        )
        served = [territory(loader, slug, where) for slug in row.get("territories") or []] or [
            collectivite.territory
        ]
        loader.set_m2m(contact, "territories", served)
        loader.set_m2m(
            contact,
            "sources",
            loader.recall_all("source", row.get("sources") or default_sources, where),
        )
    for row in doc.get("budgets") or []:
        budget = loader.upsert(
            Budget,
            {
                "collectivite": collectivite,
                "year": row.get("year"),
                "label": row.get("label", ""),
            },
            {
                "staff_fte": Decimal(str(row["staff_fte"]))
                if row.get("staff_fte") is not None
                else None,
                "staff_note": (row.get("staff_note") or "").strip(),
                "note": (row.get("note") or "").strip(),
                "status": loader.status,
            },
        )
        loader.set_m2m(
            budget,
            "sources",
            loader.recall_all("source", row.get("sources") or default_sources, where),
        )
        for order, line in enumerate(row.get("lines") or []):
            scheme_slug = line.get("scheme")
            loader.upsert(
                BudgetLine,
                {"budget": budget, "label": line["label"], "section": line.get("section", "")},
                {
                    "amount": line.get("amount"),
                    "approximate": bool(line.get("approximate")),
                    "scheme": loader.recall("dispositif", scheme_slug, where)
                    if scheme_slug
                    else None,
                    "order": order,
                },
            )


def load_scheme(
    loader: Loader, where: str, collectivite: Collectivite, row: dict, default_sources
) -> None:
    slug = row.get("slug") or slugify(row["name"])
    # An end year the source determines without writing it says from what (end_year_note).
    end_year_inferred = bool(row.get("end_year_inferred"))
    if end_year_inferred and not (row.get("end_year") and row.get("end_year_note")):
        raise SeedError(f"{where} ({slug}) : année de fin déduite sans end_year ni end_year_note")
    scheme = loader.upsert(
        Scheme,
        {"slug": slug},
        {
            "name": row["name"],
            "kind": row["kind"],
            "collectivite": collectivite,
            "summary": (row.get("summary") or "").strip(),
            "description": (row.get("description") or "").strip(),
            "eligibility": (row.get("eligibility") or "").strip(),
            "territory": territory(loader, row.get("territory"), where),
            "period_label": str(row.get("period_label") or ""),
            "start_year": row.get("start_year"),
            "end_year": row.get("end_year"),
            "end_year_inferred": end_year_inferred,
            "end_year_note": str(row.get("end_year_note") or ""),
            "opens_on": parse_date(row.get("opens_on"), where),
            "closes_on": parse_date(row.get("closes_on"), where),
            "amount": row.get("amount"),
            "amount_note": str(row.get("amount_note") or ""),
            "results": (row.get("results") or "").strip(),
            "status": loader.status,
        },
    )
    loader.remember("dispositif", slug, scheme)
    loader.set_m2m(scheme, "themes", loader.recall_all("thème", row.get("themes"), where))
    loader.set_m2m(
        scheme, "sources", loader.recall_all("source", row.get("sources") or default_sources, where)
    )
    for order, funder in enumerate(row.get("funders") or []):
        funder_collectivite = (
            loader.recall("collectivité", funder["collectivite"], where)
            if funder.get("collectivite")
            else None
        )
        loader.upsert(
            SchemeFunder,
            {
                "scheme": scheme,
                "collectivite": funder_collectivite,
                "name": funder.get("name", ""),
            },
            {
                "share": Decimal(str(funder["share"])) if funder.get("share") is not None else None,
                "share_label": funder.get("share_label", ""),
                "amount": funder.get("amount"),
                "order": order,
            },
        )
    for role, key in (("operator", "operators"), ("beneficiary", "beneficiaries")):
        for actor_slug in row.get(key) or []:
            loader.scheme_roles.append((scheme, actor_slug, role))
