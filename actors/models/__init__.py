"""ESS structures, their establishments and relations, and the data derived from them.

One module per concept, all of them models of the `actors` app:

- `structures`: the structures (`Actor`), their families and SIRENE states, their queryset
  and what their page reads;
- `establishments`: their establishments (SIRET), as the SIRENE register describes them;
- `relations`: their partnerships with collectivités and their roles in schemes;
- `proposals`: structures proposed by the public, waiting for moderation;
- `derived`: what is precomputed from them (where each actor acts, the panorama of every
  territory, the map's cells) and the counts the pages show.

A module imports only modules listed before it (the actors' queryset reaches the later
ones through the actor's relations), so that there is no import cycle. This package
re-exports their public names: `from actors.models import …` is the way in for the rest of
the project.
"""

from actors.models.derived import (
    COUNT_BOUND,
    MAP_CELL_DEGREES,
    ActorPlace,
    ActorThemeListing,
    BoundedTally,
    MapCell,
    MapCellQuerySet,
    PanoramaComparison,
    PanoramaQuerySet,
    TerritoryPanorama,
    comparison,
    directory_counts,
)
from actors.models.establishments import Establishment, EstablishmentQuerySet, communes_inside
from actors.models.imports import ImportRun
from actors.models.proposals import ActorProposal, ActorProposalQuerySet, ProposalStatus
from actors.models.relations import (
    ActorPartnership,
    SchemeRole,
    SchemeRoleKind,
    SchemeRoleQuerySet,
    published_scheme_roles,
)
from actors.models.structures import (
    ANNUAIRE_ENTREPRISES_URL,
    EMPLOYEES_BANDS,
    ESTABLISHMENTS_SHOWN,
    Actor,
    ActorQuerySet,
    EstablishmentList,
    Family,
    SireneState,
    Subtype,
    employees_band_label,
    territory_is_owned,
)

__all__ = [
    "ANNUAIRE_ENTREPRISES_URL",
    "COUNT_BOUND",
    "EMPLOYEES_BANDS",
    "ESTABLISHMENTS_SHOWN",
    "MAP_CELL_DEGREES",
    "Actor",
    "ActorPartnership",
    "ActorPlace",
    "ActorProposal",
    "ActorProposalQuerySet",
    "ActorQuerySet",
    "ActorThemeListing",
    "BoundedTally",
    "Establishment",
    "EstablishmentList",
    "EstablishmentQuerySet",
    "Family",
    "ImportRun",
    "MapCell",
    "MapCellQuerySet",
    "PanoramaComparison",
    "PanoramaQuerySet",
    "ProposalStatus",
    "SchemeRole",
    "SchemeRoleKind",
    "SchemeRoleQuerySet",
    "SireneState",
    "Subtype",
    "TerritoryPanorama",
    "communes_inside",
    "comparison",
    "directory_counts",
    "employees_band_label",
    "published_scheme_roles",
    "territory_is_owned",
]
