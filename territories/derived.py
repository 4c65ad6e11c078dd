"""Derived data of the schemes: where each one can be reached (SchemePlace), rebuilt from
their areas and the geography's inclusions whenever one of them changes."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from core.bulk import replace_derived_rows
from territories.models import Collectivite, Scheme, SchemePlace, TerritoryInclusion


def _places_sql(scheme_filter: str) -> str:
    """INSERT … SELECT of the places of the schemes `scheme_filter` keeps (a condition on
    `s.id`): every territory containing the scheme's area — its covered territory, else
    its carrier's (Scheme.accessible_in) — the area itself marked. A scheme without an
    area (a carrier without territory) has no place, as it is accessible nowhere."""
    place, scheme = SchemePlace._meta.db_table, Scheme._meta.db_table
    carrier, inclusion = Collectivite._meta.db_table, TerritoryInclusion._meta.db_table
    area = "COALESCE(s.territory_id, c.territory_id)"
    return (
        f"INSERT INTO {place} (scheme_id, territory_id, is_area) "
        f"SELECT s.id, i.container_id, i.container_id = {area} FROM {scheme} s "
        f"JOIN {carrier} c ON c.id = s.collectivite_id "
        f"JOIN {inclusion} i ON i.member_id = {area} "
        f"WHERE {scheme_filter}"
    )


@transaction.atomic
def refresh_scheme_places(*, scheme_ids: Iterable[int] | None = None) -> int:
    """Rebuild where schemes can be reached (SchemePlace): for `scheme_ids`, or for every
    scheme when None. Returns how many places they now have.

    Called when a scheme or a carrier is saved (the signals of territories.apps) and when
    the inclusions are rebuilt (territories.services.rebuild_inclusions). Two refreshes of
    the same schemes at once take turns (core.bulk.replace_derived_rows)."""
    return replace_derived_rows(
        derived=SchemePlace,
        source_field="scheme",
        sources=Scheme.objects.all(),
        insert_sql=lambda condition: _places_sql(condition.format("s.id")),
        keys=scheme_ids,
    )


def follow_scheme_area(sender, instance: Scheme, **kwargs) -> None:
    """post_save of Scheme: its places follow its territory and its carrier."""
    refresh_scheme_places(scheme_ids=[instance.pk])


def follow_carrier_territory(sender, instance: Collectivite, **kwargs) -> None:
    """post_save of Collectivite: the places of its schemes without a territory of their
    own follow the carrier's territory."""
    schemes = Scheme.objects.filter(collectivite=instance, territory__isnull=True)
    ids = list(schemes.values_list("pk", flat=True))
    if ids:
        refresh_scheme_places(scheme_ids=ids)
