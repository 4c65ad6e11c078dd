"""Grants linked to the structures of the directory, by their identifiers only.

In this order, the first that gives exactly one structure:

1. idBeneficiaire is the SIRET of an establishment (SIRENE import) or of a structure;
2. its first 9 digits are the SIREN of one structure;
3. rnaBeneficiaire is the RNA number of one structure.

Never by name: a beneficiary whose identifiers match nothing (or several structures)
stays unlinked, and the back-office lists it (filter « bénéficiaire non rapproché »).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from actors.models import Actor, Establishment
from grants.models import MatchKind


def _unique(pairs: Iterable[tuple[str, int]]) -> dict[str, int]:
    """{identifier: actor id} for the identifiers of exactly one actor."""
    found: dict[str, set[int]] = defaultdict(set)
    for identifier, actor_id in pairs:
        found[identifier].add(actor_id)
    return {key: next(iter(ids)) for key, ids in found.items() if len(ids) == 1}


def match(pairs: list[tuple[str, str]]) -> list[tuple[int | None, str]]:
    """For (SIRET, RNA) pairs, the (actor id, MatchKind or "") of each, in three queries."""
    sirets = {siret for siret, _rna in pairs if siret}
    sirens = {siret[:9] for siret in sirets}
    rnas = {rna for _siret, rna in pairs if rna}
    by_siret = _unique(
        [
            *Establishment.objects.filter(siret__in=sirets).values_list("siret", "actor_id"),
            *Actor.objects.filter(siret__in=sirets).values_list("siret", "pk"),
        ]
        if sirets
        else []
    )
    by_siren = (
        _unique(Actor.objects.filter(siren__in=sirens).values_list("siren", "pk")) if sirens else {}
    )
    by_rna = _unique(Actor.objects.filter(rna__in=rnas).values_list("rna", "pk")) if rnas else {}
    results = []
    for siret, rna in pairs:
        if siret and siret in by_siret:
            results.append((by_siret[siret], MatchKind.SIRET))
        elif siret and siret[:9] in by_siren:
            results.append((by_siren[siret[:9]], MatchKind.SIREN))
        elif rna and rna in by_rna:
            results.append((by_rna[rna], MatchKind.RNA))
        else:
            results.append((None, ""))
    return results


def match_grants(grants: list) -> int:
    """Set `beneficiary_id` and `match_kind` on unsaved grants; how many matched."""
    results = match([(g.beneficiary_siret, g.beneficiary_rna) for g in grants])
    for grant, (actor_id, kind) in zip(grants, results, strict=True):
        grant.beneficiary_id, grant.match_kind = actor_id, kind
    return sum(actor_id is not None for actor_id, _kind in results)
