from __future__ import annotations

from collections import OrderedDict
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import DetailView, ListView, TemplateView
from django_filters.views import FilterView

from territories.caching import PublicPageCacheMixin
from territories.filters import (
    CollectiviteFilterSet,
    SchemeFilterSet,
    TerritoryField,
)
from territories.forms import ContactFinderForm, SearchForm
from territories.models import (
    Budget,
    Collectivite,
    Contact,
    Scheme,
    Territory,
    TerritoryKind,
)
from territories.pagination import EXACT_UP_TO, BoundedPaginator

# The territories listed "below" a territory on its page: the next level down.
CHILD_KINDS = {
    TerritoryKind.REGION: [TerritoryKind.DEPARTEMENT],
    TerritoryKind.DEPARTEMENT: [TerritoryKind.EPCI, TerritoryKind.EPT, TerritoryKind.GROUPEMENT],
    TerritoryKind.EPCI: [TerritoryKind.COMMUNE],
    TerritoryKind.EPT: [TerritoryKind.COMMUNE],
    TerritoryKind.GROUPEMENT: [TerritoryKind.EPCI, TerritoryKind.COMMUNE],
}
MAX_CHILDREN = 200


def bounded_count(queryset, bound: int = EXACT_UP_TO) -> int:
    """The number of rows, counted up to `bound` + 1 (enough to say "plus de 1 000")."""
    return queryset.order_by().values("pk")[: bound + 1].count()


class FilteredListView(PublicPageCacheMixin, FilterView):
    """A paginated FilterView that answers 400, with the form's messages, to bad filters."""

    paginate_by = settings.PAGE_SIZE
    paginator_class = BoundedPaginator
    strict = True

    def get_filterset_kwargs(self, filterset_class):
        # Always bound, so that defaults (such as "upcoming events") apply to a bare URL.
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["data"] = self.request.GET
        return kwargs

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if self.filterset.errors:
            response.status_code = 400
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_string"] = query.urlencode()
        context["is_filtered"] = any(
            value for key, value in self.request.GET.items() if key != "page"
        )
        return context


def upcoming_events(queryset, limit: int = 5):
    from events.models import Event

    return (
        Event.objects.published()
        .filter(pk__in=queryset.values("pk"))
        .upcoming(timezone.localdate())
        .for_list()[:limit]
    )


class HomeView(PublicPageCacheMixin, TemplateView):
    template_name = "territories/home.html"
    max_collectivites = 12

    def get_context_data(self, **kwargs):
        from events.models import Event

        context = super().get_context_data(**kwargs)
        context["finder_form"] = ContactFinderForm()
        collectivites = Collectivite.objects.published().for_list()
        context["collectivites"] = collectivites[: self.max_collectivites]
        context["collectivite_count"] = collectivites.count()
        context["events"] = Event.objects.published().upcoming(timezone.localdate()).for_list()[:5]
        return context


class CollectiviteListView(FilteredListView):
    filterset_class = CollectiviteFilterSet
    template_name = "territories/collectivite_list.html"

    def get_queryset(self):
        return Collectivite.objects.published().for_list()


class CollectiviteDetailView(PublicPageCacheMixin, DetailView):
    template_name = "territories/collectivite_detail.html"
    context_object_name = "collectivite"

    def get_queryset(self):
        return Collectivite.objects.visible_to(self.request.user).for_detail()

    def get_context_data(self, **kwargs):
        from actors.models import Actor
        from events.models import Event

        context = super().get_context_data(**kwargs)
        collectivite = self.object
        context["contacts"] = (
            Contact.objects.published()
            .filter(collectivite=collectivite)
            .prefetch_related("territories")
            .order_by("-is_central", "role", "order", "pk")
        )
        context["budgets"] = (
            Budget.objects.published().filter(collectivite=collectivite).for_detail()
        )
        context["schemes"] = Scheme.objects.published().filter(collectivite=collectivite).for_list()
        context["funded_schemes"] = (
            Scheme.objects.published()
            .filter(funders__collectivite=collectivite)
            .exclude(collectivite=collectivite)
            .select_related("collectivite")
            .order_by("name")
        )
        actors = Actor.objects.published().filter(partner_of=collectivite).order_by("name")
        context["partner_actors"] = actors[: settings.PAGE_SIZE]
        context["partner_actor_count"] = actors.count()
        events = Event.objects.published().filter(participations__collectivite=collectivite)
        context["upcoming_events"] = upcoming_events(events)
        context["past_events"] = (
            Event.objects.published()
            .filter(pk__in=events.values("pk"))
            .past(timezone.localdate())
            .for_list()[:10]
        )
        return context


class TerritoryListView(PublicPageCacheMixin, ListView):
    """Find a territory by name, code or postal code."""

    template_name = "territories/territory_list.html"
    paginate_by = settings.PAGE_SIZE
    paginator_class = BoundedPaginator
    context_object_name = "territories"

    def get_form(self) -> ContactFinderForm:
        if not hasattr(self, "_form"):
            self._form = ContactFinderForm(self.request.GET or None)
        return self._form

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if self.get_form().errors:
            response.status_code = 400
        return response

    def get_queryset(self):
        form = self.get_form()
        if not form.is_valid() or not form.cleaned_data["q"].strip():
            return Territory.objects.exclude(kind=TerritoryKind.COMMUNE).filter(
                kind__in=[TerritoryKind.REGION, TerritoryKind.GROUPEMENT]
            )
        query = form.cleaned_data["q"].strip()
        communes = Territory.objects.matching_place(query)
        if communes.exists():
            return communes
        return Territory.objects.matching_name(query).order_by("rank", "search_name")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = self.get_form()
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_string"] = query.urlencode()
        return context


class TerritoryDetailView(PublicPageCacheMixin, DetailView):
    template_name = "territories/territory_detail.html"
    context_object_name = "territory"

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if self.object.slug != kwargs["slug"]:
            return HttpResponsePermanentRedirect(self.object.get_absolute_url())
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_object(self, queryset=None):
        try:
            return TerritoryField().clean(self.kwargs["slug"])
        except ValidationError as error:
            raise Http404("Territoire inconnu") from error

    def get_context_data(self, **kwargs):
        from actors.models import Actor
        from events.models import Event

        context = super().get_context_data(**kwargs)
        territory = self.object
        context["containers"] = list(
            Territory.objects.containing(territory).exclude(pk=territory.pk)
        )
        child_kinds = CHILD_KINDS.get(territory.kind, [])
        children = (
            Territory.objects.inside(territory)
            .exclude(pk=territory.pk)
            .filter(kind__in=child_kinds)
            .order_by("rank", "search_name")
        )
        context["children"] = children[:MAX_CHILDREN]
        context["children_count"] = children.count()
        context["collectivites"] = (
            Collectivite.objects.published()
            .acting_on(territory)
            .select_related("territory")
            .order_by("territory__rank", "name")
        )
        if territory.kind == TerritoryKind.COMMUNE:
            context["contact_groups"] = group_by_territory(
                Contact.objects.published().serving(territory)
            )
        schemes = Scheme.objects.published().available_in(territory)
        context["schemes"] = schemes.select_related("collectivite", "territory").order_by(
            "territory__rank", "name", "pk"
        )[: settings.PAGE_SIZE]
        context["scheme_count"] = bounded_count(schemes)
        actors = Actor.objects.published().in_territory(territory)
        context["actors"] = actors.for_list().order_by("name", "pk")[:10]
        context["actor_count"] = bounded_count(actors)
        events = Event.objects.published().in_territory(territory)
        context["upcoming_events"] = upcoming_events(events)
        return context


def group_by_territory(contacts) -> list[dict]:
    """Contacts (annotated by `serving()`) grouped under the territory through which they serve."""
    contacts = list(contacts)
    territories = Territory.objects.in_bulk({c.serving_territory_id for c in contacts})
    groups: OrderedDict[int, dict] = OrderedDict()
    for contact in contacts:
        group = groups.setdefault(
            contact.serving_territory_id,
            {"territory": territories[contact.serving_territory_id], "contacts": []},
        )
        group["contacts"].append(contact)
    return list(groups.values())


class ContactFinderView(PublicPageCacheMixin, TemplateView):
    """A project holder types a postal code or a commune and gets the contacts serving it."""

    template_name = "territories/contact_finder.html"
    max_choices = 50

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        status = 400 if context["form"].errors else 200
        return self.render_to_response(context, status=status)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = ContactFinderForm(self.request.GET or None)
        context["form"] = form
        if not form.is_valid():
            return context
        commune = form.cleaned_data.get("commune")
        query = form.cleaned_data["q"].strip()
        if commune is None and query:
            matches = list(Territory.objects.matching_place(query)[: self.max_choices + 1])
            context["query"] = query
            if len(matches) == 1:
                commune = matches[0]
            else:
                context["choices"] = matches[: self.max_choices]
                context["too_many"] = len(matches) > self.max_choices
        if commune is not None:
            context["commune"] = commune
            context["containers"] = list(
                Territory.objects.containing(commune).exclude(pk=commune.pk)
            )
            context["contact_groups"] = group_by_territory(
                Contact.objects.published().serving(commune)
            )
            schemes = Scheme.objects.published().available_in(commune)
            context["schemes"] = schemes.select_related("collectivite", "territory").order_by(
                "territory__rank", "name", "pk"
            )[: settings.PAGE_SIZE]
            context["scheme_count"] = bounded_count(schemes)
        return context


class SchemeListView(FilteredListView):
    filterset_class = SchemeFilterSet
    template_name = "territories/scheme_list.html"

    def get_queryset(self):
        return Scheme.objects.published().for_list()


class SchemeDetailView(PublicPageCacheMixin, DetailView):
    template_name = "territories/scheme_detail.html"
    context_object_name = "scheme"

    def get_queryset(self):
        from actors.models import SchemeRole

        return (
            Scheme.objects.visible_to(self.request.user)
            .for_detail()
            .prefetch_related(
                Prefetch(
                    "actor_roles",
                    queryset=SchemeRole.objects.filter(actor__status="published")
                    .select_related("actor")
                    .order_by("role", "actor__name"),
                )
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["is_open"] = self.object.is_open_on(timezone.localdate())
        context["budget_lines"] = (
            self.object.budget_lines.filter(budget__status="published")
            .select_related("budget__collectivite")
            .order_by("-budget__year")
        )
        return context


class SearchView(PublicPageCacheMixin, TemplateView):
    """One search box across collectivités, contacts, schemes, actors and events."""

    template_name = "territories/search.html"
    per_group = 5

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        status = 400 if context["form"].errors else 200
        return self.render_to_response(context, status=status)

    def get_context_data(self, **kwargs):
        from actors.models import Actor
        from events.models import Event

        context = super().get_context_data(**kwargs)
        form = SearchForm(self.request.GET or None)
        context["form"] = form
        if not form.is_valid() or not form.cleaned_data["q"].strip():
            return context
        query = form.cleaned_data["q"].strip()
        context["query"] = query
        # search() last: it orders by relevance.
        groups = [
            (
                "Collectivités",
                Collectivite.objects.published().for_list().search(query),
                "territories:collectivite_list",
            ),
            (
                "Dispositifs",
                Scheme.objects.published().for_list().search(query),
                "territories:scheme_list",
            ),
            ("Acteurs", Actor.objects.published().for_list().search(query), "actors:list"),
            ("Événements", Event.objects.published().for_list().search(query), "events:list"),
            (
                "Contacts",
                Contact.objects.published().select_related("collectivite").search(query),
                None,
            ),
        ]
        context["groups"] = [
            {
                "title": title,
                "count": bounded_count(queryset),
                "items": list(queryset[: self.per_group]),
                "list_url": reverse(url_name) + "?" + urlencode({"q": query}) if url_name else "",
            }
            for title, queryset, url_name in groups
        ]
        context["total"] = sum(group["count"] for group in context["groups"])
        context["places"] = list(Territory.objects.matching_place(query)[:5])
        return context
