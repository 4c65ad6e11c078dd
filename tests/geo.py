"""A subset of the project's real geography extract, fast enough to load in tests."""

from __future__ import annotations

from dataclasses import replace

from territories.geography import DEFAULT_EXTRACT_DIR, Geography, read_extract
from territories.services import import_geography

# Grand Est (région 44) and the Hauts-de-Seine: every territory the seed data names.
TEST_DEPARTEMENTS = {"08", "10", "51", "52", "54", "55", "57", "67", "68", "88", "92"}

_cache: dict[str, Geography] = {}


def geography_subset() -> Geography:
    if "geo" not in _cache:
        full = read_extract(DEFAULT_EXTRACT_DIR)
        communes = [c for c in full.communes if c["departement"] in TEST_DEPARTEMENTS]
        kept = {c["code"] for c in communes}

        def keep_members(rows):
            out = []
            for row in rows:
                members = [code for code in row["members"].split() if code in kept]
                if members:
                    out.append({**row, "members": " ".join(members)})
            return out

        _cache["geo"] = replace(
            full, communes=communes, epci=keep_members(full.epci), ept=keep_members(full.ept)
        )
    return _cache["geo"]


def load_test_geography():
    return import_geography(geo=geography_subset())
