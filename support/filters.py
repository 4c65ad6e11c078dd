"""The support services' FilterSets: their exports and the API share them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core.filters import FastFormFilterSet
from support.models import SupportService, SupportStructure
from territories.filters import TerritoryFilter

TERRITORY_HELP = _(
    "Commune, code postal, département, région ou intercommunalité : les services dont la "
    "zone d'éligibilité le couvre (la commune, son intercommunalité, son département, sa "
    "région ou toute la France)."
)


class SupportServiceFilterSet(FastFormFilterSet):
    territoire = TerritoryFilter(
        label=_("Territoire"), help_text=TERRITORY_HELP, through="covering"
    )

    class Meta:
        model = SupportService
        fields = ["territoire"]


class SupportStructureFilterSet(FastFormFilterSet):
    territoire = TerritoryFilter(
        label=_("Territoire"),
        help_text=_(
            "Commune, code postal, département, région ou intercommunalité : les structures "
            "dont un service le couvre."
        ),
        through="covering",
    )

    class Meta:
        model = SupportStructure
        fields = ["territoire"]
