"""The grants compared, and their exports (SCDL « Subventions »)."""

from __future__ import annotations

from core.export_views import ExportView
from core.views import FilteredListView
from grants.exports import GRANTS
from grants.filters import GrantFilterSet
from grants.models import Grant
from grants.summary import comparison_groups
from territories.models import Collectivite, kind_order


class GrantComparisonView(FilteredListView):
    """The public grants of the collectivités side by side, same type together, by name —
    never by amount. The FilterSet filters grants; the page lists the collectivités that
    have some, paginated so that a collectivité's years stay together."""

    filterset_class = GrantFilterSet
    template_name = "grants/comparison.html"

    def get_queryset(self):
        return Grant.objects.public()

    def get_context_data(self, **kwargs):
        grants = kwargs.pop("object_list")
        collectivites = (
            Collectivite.objects.published()
            .filter(pk__in=grants.order_by().values("collectivite_id"))
            .select_related("territory")
            .order_by(kind_order(), "name", "pk")
        )
        context = super().get_context_data(object_list=collectivites, **kwargs)
        context["groups"] = comparison_groups(context["object_list"], grants)
        return context


class GrantExportView(ExportView):
    filterset_class = GrantFilterSet
    export = GRANTS

    def get_queryset(self):
        return Grant.objects.public().for_export()
