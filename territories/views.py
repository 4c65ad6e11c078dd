from __future__ import annotations

from itertools import groupby

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.generic import ListView, TemplateView, View

from core.caching import PublicPageCacheMixin
from core.export_views import ExportView
from core.pagination import BoundedPaginator, with_total
from core.together import Composed, read_together
from core.views import FilteredListView, QueryFormMixin
from territories import statements
from territories.budgets import comparison_groups
from territories.exports import COLLECTIVITES, SCHEMES
from territories.filters import BudgetComparisonFilterSet, CollectiviteFilterSet, SchemeFilterSet
from territories.finder import answer_read, close_communes
from territories.forms import ContactFinderForm, TerritorySearchForm
from territories.models import Budget, Collectivite, Scheme, Territory, TerritoryKind

# The headings of /territoires/, by kind of territory.
BROWSED_LABELS = {
    TerritoryKind.REGION: _("Régions"),
    TerritoryKind.DEPARTEMENT: _("Départements"),
    TerritoryKind.GROUPEMENT: _("Groupements de territoires (pays, PETR, territoires d'action)"),
    TerritoryKind.EPT: _("Établissements publics territoriaux"),
    TerritoryKind.EPCI: _("Intercommunalités (EPCI)"),
}


def services_read(territory: Territory) -> Composed:
    """What a project holder of `territory` needs, as a read its page sends with its others
    (core.together.read_together()): contacts (`answer`, for a commune, see
    communes_services_read()) and the schemes accessible there (`schemes`, `scheme_count`:
    the same as the schemes list's `territoire`). One round trip more builds them."""
    if territory.kind == TerritoryKind.COMMUNE:
        return communes_services_read([territory])
    arguments = {"territory_ids": [territory.pk], "size": settings.PAGE_SIZE}

    def schemes_of(keys: list[tuple]) -> dict:
        schemes, scheme_count = statements.accessible_schemes(**arguments, keys=keys)
        return {"schemes": schemes, "scheme_count": scheme_count}

    return Composed(((statements.accessible_scheme_keys, arguments),), schemes_of)


def communes_services_read(communes: list[Territory]) -> Composed:
    """Who serves `communes` (`answer`) and the schemes accessible in every one of them
    (`schemes`, `scheme_count`), the schemes read with the answer's first statements, as a
    read a page sends with its others (core.together.read_together())."""
    answer = answer_read(communes)
    schemes_read = {"territory_ids": [c.pk for c in communes], "size": settings.PAGE_SIZE}

    def served(links: list, acting_links: list, scheme_rows: list) -> dict:
        schemes, scheme_count = with_total(scheme_rows)
        built = answer.build(links, acting_links)
        return {"answer": built, "schemes": schemes, "scheme_count": scheme_count}

    return Composed((*answer.calls, (statements.communes_schemes, schemes_read)), served)


class CollectiviteListView(FilteredListView):
    filterset_class = CollectiviteFilterSet
    template_name = "territories/collectivite_list.html"

    def get_queryset(self):
        return Collectivite.objects.published().for_list()


class BudgetComparisonView(FilteredListView):
    """The ESS budgets of the collectivités side by side, same type together, by name.

    Paginated by collectivité so that its budgets stay together; the notes of each type
    are computed from all its budgets, on this page or another.
    """

    filterset_class = BudgetComparisonFilterSet
    template_name = "territories/budget_comparison.html"

    def get_queryset(self):
        return Collectivite.objects.published().for_budget_comparison()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        collectivites = context["object_list"]
        kinds = {collectivite.kind for collectivite in collectivites}
        facts = Budget.objects.published().filter(
            collectivite__in=self.object_list.order_by().values("pk"), collectivite__kind__in=kinds
        )
        context["groups"] = (
            comparison_groups(collectivites, facts.comparison_facts()) if kinds else []
        )
        return context


class TerritoryListView(PublicPageCacheMixin, QueryFormMixin, ListView):
    """Find a territory by name, code or postal code; without a query, browse the régions,
    the départements, then the groupings and intercommunalities (never the communes, which
    the field finds)."""

    form_class = TerritorySearchForm
    template_name = "territories/territory_list.html"
    paginate_by = settings.PAGE_SIZE
    # Browsing: every région and département on the first page (about 120 in France).
    browse_page_size = 200
    paginator_class = BoundedPaginator
    context_object_name = "territories"

    def get_queryset(self):
        query = self.get_query()
        if not query:
            return Territory.objects.landmarks()
        return Territory.objects.found_by(query)

    def get_paginate_by(self, queryset):
        return self.paginate_by if self.get_query() else self.browse_page_size

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if not self.get_query():
            # The page's territories under the heading of their kind, in the list's order.
            context["groups"] = [
                {"kind": kind, "label": BROWSED_LABELS[kind], "territories": list(members)}
                for kind, members in groupby(context["territories"], key=lambda t: t.kind)
            ]
        return context


class ContactFinderView(PublicPageCacheMixin, QueryFormMixin, TemplateView):
    """A project holder types a postal code or a commune and gets the contacts serving it.

    A postal code shared by several communes answers at once with the contacts serving all
    of them, then what differs per group of communes (see territories.finder).
    """

    form_class = ContactFinderForm
    template_name = "territories/contact_finder.html"
    max_communes = 60

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form, query = self.get_form(), self.get_query()
        commune = form.cleaned_data["commune"] if form.is_valid() else None
        communes = [commune] if commune else []
        if commune is None and query:
            communes, alternative = statements.places(query, size=self.max_communes + 1)
            if not communes and (close := close_communes(query)):
                # A typo ("Nancyy"): the closest commune answers, the others are offered.
                communes = close[:1]
                context.update(corrected=close[0], close_communes=close[1:])
            context.update(
                query=query,
                too_many=len(communes) > self.max_communes,
                alternative=alternative,
            )
        if communes and len(communes) <= self.max_communes:
            # For one commune, the territories containing it, read with the answer (whether
            # or not the page lists other contacts: as many queries).
            reads = {"services": communes_services_read(communes)}
            if len(communes) == 1:
                reads["containers"] = (statements.containers, {"territory_id": communes[0].pk})
            found = read_together(**reads)
            context.update(found["services"])
            if "containers" in found:
                context.update(commune=communes[0], containers=found["containers"])
        return context


class SchemeListView(FilteredListView):
    filterset_class = SchemeFilterSet
    template_name = "territories/scheme_list.html"

    def get_queryset(self):
        return Scheme.objects.published().for_list()


class TerritorySuggestionsView(PublicPageCacheMixin, QueryFormMixin, View):
    """Suggestions for the territory fields, as the visitor types (JSON)."""

    form_class = TerritorySearchForm

    def get(self, request, *args, **kwargs):
        if self.has_invalid_input():
            return JsonResponse({"errors": self.get_form().errors}, status=400)
        territories = Territory.objects.suggestions(self.get_query())
        results = [
            {"value": t.short_slug, "label": str(t), "kind": t.kind_label} for t in territories
        ]
        return JsonResponse({"results": results})


class CollectiviteExportView(ExportView):
    filterset_class = CollectiviteFilterSet
    export = COLLECTIVITES

    def get_queryset(self):
        return Collectivite.objects.published().for_export().order_by("name", "pk")


class SchemeExportView(ExportView):
    filterset_class = SchemeFilterSet
    export = SCHEMES

    def get_queryset(self):
        return Scheme.objects.published().for_export().order_by("name", "pk")
