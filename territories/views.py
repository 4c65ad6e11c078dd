from __future__ import annotations

from django.conf import settings
from django.views.generic import ListView, TemplateView

from essdir.core.caching import PublicPageCacheMixin
from essdir.core.pagination import BoundedPaginator, bounded_count
from essdir.core.views import FilteredListView, QueryFormMixin
from territories.filters import CollectiviteFilterSet, SchemeFilterSet
from territories.forms import ContactFinderForm, TerritorySearchForm
from territories.models import Collectivite, Contact, Scheme, Territory, TerritoryKind


def services_for(territory: Territory) -> dict:
    """What a project holder of `territory` needs: contacts (for a commune) and schemes."""
    schemes = Scheme.objects.published().available_in(territory)
    context = {
        "schemes": schemes.nearest_first()[: settings.PAGE_SIZE],
        "scheme_count": bounded_count(schemes),
    }
    if territory.kind == TerritoryKind.COMMUNE:
        context["contact_groups"] = Contact.objects.published().serving(territory).grouped()
    return context


class CollectiviteListView(FilteredListView):
    filterset_class = CollectiviteFilterSet
    template_name = "territories/collectivite_list.html"

    def get_queryset(self):
        return Collectivite.objects.published().for_list()


class TerritoryListView(PublicPageCacheMixin, QueryFormMixin, ListView):
    """Find a territory by name, code or postal code."""

    form_class = TerritorySearchForm
    template_name = "territories/territory_list.html"
    paginate_by = settings.PAGE_SIZE
    paginator_class = BoundedPaginator
    context_object_name = "territories"

    def get_queryset(self):
        query = self.get_query()
        if not query:
            return Territory.objects.landmarks()
        return Territory.objects.found_by(query)


class ContactFinderView(PublicPageCacheMixin, QueryFormMixin, TemplateView):
    """A project holder types a postal code or a commune and gets the contacts serving it."""

    form_class = ContactFinderForm
    template_name = "territories/contact_finder.html"
    max_choices = 50

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form, query = self.get_form(), self.get_query()
        commune = form.cleaned_data["commune"] if form.is_valid() else None
        if commune is None and query:
            matches = list(Territory.objects.matching_place(query)[: self.max_choices + 1])
            commune = matches[0] if len(matches) == 1 else None
            too_many = len(matches) > self.max_choices
            context.update(query=query, choices=matches[: self.max_choices], too_many=too_many)
        if commune is not None:
            context.update(commune=commune, containers=Territory.objects.containers_of(commune))
            context.update(services_for(commune))
        return context


class SchemeListView(FilteredListView):
    filterset_class = SchemeFilterSet
    template_name = "territories/scheme_list.html"

    def get_queryset(self):
        return Scheme.objects.published().for_list()
