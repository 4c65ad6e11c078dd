"""Territories of France, the collectivités that act on them and their ESS policies.

One module per concept, all of them models of the `territories` app:

- `reference`: the sources facts come from and the themes of the shared taxonomy;
- `geography`: territories and their containment (the closure table `TerritoryInclusion`),
  postal codes;
- `records`: what the directory's records share (sources, territory, ownership);
- `collectivites`: collectivités and what their page tells (key figures, axes, actions);
- `contacts`, `budgets`, `schemes`: a collectivité's contacts, ESS budgets and schemes;
- `staff`: which accounts belong to which collectivité.

A module imports only modules listed before it (budgets names `Scheme` for the type checker
alone), so that there is no import cycle. This package re-exports their public names:
`from territories.models import …` is the way in for the rest of the project.
"""

from core.publication import PublicationStatus
from territories.access import StaffRole
from territories.models.budgets import (
    Budget,
    BudgetLine,
    BudgetLineQuerySet,
    BudgetQuerySet,
    BudgetSection,
)
from territories.models.collectivites import (
    RESERVED_COLLECTIVITE_SLUGS,
    Action,
    Collectivite,
    CollectiviteKind,
    CollectiviteQuerySet,
    KeyFigure,
    StrategicAxis,
    kind_order,
)
from territories.models.contacts import Contact, ContactQuerySet, ContactRole
from territories.models.geography import (
    CHILD_KINDS,
    CODE_RE,
    DEPARTEMENT_RE,
    RANKS,
    SLUG_RE,
    GroupingType,
    PostalCode,
    Territory,
    TerritoryInclusion,
    TerritoryKind,
    TerritoryQuerySet,
    around_condition,
    territory_by_slug,
)
from territories.models.records import (
    CollectiviteRecord,
    CollectiviteRecordQuerySet,
    OwnedQuerySet,
    SourcedRecord,
    TerritorialQuerySet,
)
from territories.models.reference import Source, Theme
from territories.models.schemes import (
    Scheme,
    SchemeFunder,
    SchemeKind,
    SchemePlace,
    SchemeQuerySet,
)
from territories.models.staff import StaffMembership, StaffMembershipQuerySet

__all__ = [
    "CHILD_KINDS",
    "CODE_RE",
    "DEPARTEMENT_RE",
    "RANKS",
    "RESERVED_COLLECTIVITE_SLUGS",
    "SLUG_RE",
    "Action",
    "Budget",
    "BudgetLine",
    "BudgetLineQuerySet",
    "BudgetQuerySet",
    "BudgetSection",
    "Collectivite",
    "CollectiviteKind",
    "CollectiviteQuerySet",
    "CollectiviteRecord",
    "CollectiviteRecordQuerySet",
    "Contact",
    "ContactQuerySet",
    "ContactRole",
    "GroupingType",
    "KeyFigure",
    "OwnedQuerySet",
    "PostalCode",
    "PublicationStatus",
    "Scheme",
    "SchemeFunder",
    "SchemeKind",
    "SchemePlace",
    "SchemeQuerySet",
    "Source",
    "SourcedRecord",
    "StaffMembership",
    "StaffMembershipQuerySet",
    "StaffRole",
    "StrategicAxis",
    "TerritorialQuerySet",
    "Territory",
    "TerritoryInclusion",
    "TerritoryKind",
    "TerritoryQuerySet",
    "Theme",
    "around_condition",
    "kind_order",
    "territory_by_slug",
]
