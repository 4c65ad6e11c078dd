"""The pages that bring the apps together: home, search, and the pages of a collectivité,
a territory and a scheme, which show the actors and events around them."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponsePermanentRedirect, JsonResponse
from django.utils import timezone
from django.views.generic import DetailView, TemplateView, View

from actors import caching as actors_caching
from actors.coverage import coverage_read
from actors.models import Actor, directory_counts, published_scheme_roles
from actors.panorama import national_panorama, panorama_read
from actors.structured_data import actor_ld
from core.caching import PublicPageCacheMixin
from core.forms import SearchForm
from core.pagination import with_total
from core.prefetches import KeptPrefetch
from core.together import read_together, rows_together
from core.views import KeptObjectMixin, QueryFormMixin, StructuredDataMixin, has_invalid_input
from essdir import statements
from essdir.data import DATASETS, dataset_facts, dcat_catalogue
from essdir.forms import SiteSearchForm
from essdir.search import search_everything
from events import caching as events_caching
from grants import summary as grants
from support import partials as support_partials
from territories import caching as territories_caching
from territories import statements as territory_statements
from territories.budgets import PEERS_SHOWN, peers_read
from territories.filters import resolve_territory
from territories.finder import carrier_card, serving_territory
from territories.forms import ContactFinderForm
from territories.models import Collectivite, Scheme, TerritoryKind
from territories.structured_data import collectivite_ld, scheme_ld
from territories.views import services_read

UPCOMING = 5
GRANTS_SHOWN = 50


class HomeView(PublicPageCacheMixin, TemplateView):
    template_name = "site/home.html"
    max_collectivites = 12

    def get_context_data(self, **kwargs):
        # Its four reads in one round trip (PostgreSQL).
        found = read_together(
            collectivites=(statements.collectivites, {"size": self.max_collectivites}),
            panorama=(national_panorama, {}),
            events=(
                statements.upcoming_everywhere,
                {"today": timezone.localdate(), "size": UPCOMING},
            ),
            coverage=coverage_read(),
        )
        collectivites, count = with_total(found["collectivites"])
        panorama = found["panorama"]
        return super().get_context_data(
            finder_form=ContactFinderForm(auto_id="finder-%s"),
            search_form=SearchForm(auto_id="home-%s"),
            collectivites=collectivites,
            collectivite_count=count,
            events=found["events"],
            counts=directory_counts(panorama=panorama[0] if panorama else None),
            coverage=found["coverage"],
            **kwargs,
        )


class SearchView(PublicPageCacheMixin, QueryFormMixin, TemplateView):
    """One search box across collectivités, contacts, schemes, actors and events."""

    form_class = SiteSearchForm
    template_name = "site/search.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = self.get_form()
        territory = form.cleaned_data.get("territoire") if form.is_valid() else None
        if (query := self.get_query()) and not has_invalid_input(form):
            context.update(query=query, territory=territory, **search_everything(query, territory))
        return context


class CollectiviteDetailView(
    KeptObjectMixin, PublicPageCacheMixin, StructuredDataMixin, DetailView
):
    template_name = "site/collectivite_detail.html"
    context_object_name = "collectivite"
    public_object = statements.public_collectivite
    prefetches_with_reads = True

    def get_queryset(self):
        return Collectivite.objects.visible_to(self.request.user).for_detail()

    def get_structured_data(self, base: str, context: dict) -> dict:
        return collectivite_ld(self.object, context["contacts"], base)

    def get_context_data(self, **kwargs):
        collectivite, today = self.object, timezone.localdate()
        key, size = collectivite.pk, settings.PAGE_SIZE
        territory = collectivite.territory
        # The page's lists, independent of one another, read in one round trip. Of each,
        # the first (a région carries hundreds) and how many in all: the schemes list,
        # filtered on the collectivité, shows them all. Events that come back without a
        # date (a rhythm) apart, as the agenda lists them; those without a full date nor
        # rhythm are among the past ones, "date incomplète".
        found = read_together(
            prefetching=self.pending_prefetches,
            partners=(statements.partners, {"collectivite_id": key, "size": size}),
            schemes=(statements.schemes_of, {"collectivite_id": key, "size": size}),
            co_funded=(statements.co_funded_by, {"collectivite_id": key, "size": size}),
            containers=(territory_statements.containers, {"territory_id": territory.pk}),
            contacts=(statements.contacts_of, {"collectivite_id": key}),
            budgets=(statements.budgets_of, {"collectivite_id": key}),
            upcoming=(
                statements.events_involving,
                {"collectivite_id": key, "today": today, "size": UPCOMING},
            ),
            undated=(statements.undated_events_involving, {"collectivite_id": key, "size": 10}),
            past=(
                statements.past_events_involving,
                {"collectivite_id": key, "today": today, "size": 10},
            ),
            # Who serves its territory (contact_here()) and its panorama.
            acting=(statements.collectivites_around, {"territory_id": territory.pk}),
            links=(territory_statements.contact_links_around, {"territory_id": territory.pk}),
            panorama=panorama_read(territory),
            peers=peers_read(collectivite, PEERS_SHOWN),
            grants=grants.grants_read(collectivite),
        )
        partners, partner_count = with_total(found["partners"])
        schemes, scheme_count = with_total(found["schemes"])
        co_funded, co_funded_count = with_total(found["co_funded"])
        containers = found["containers"]
        return super().get_context_data(
            # Who to contact first: the finder's card for its territory, then its contacts.
            **contact_here(territory, containers, found["acting"], links=found["links"]),
            contacts=found["contacts"],
            budgets=found["budgets"],
            budget_comparison=found["peers"],
            grants=found["grants"],
            schemes=schemes,
            scheme_count=scheme_count,
            funded_schemes=co_funded,
            funded_scheme_count=co_funded_count,
            partner_actors=partners,
            partner_actor_count=partner_count,
            upcoming_events=found["upcoming"],
            undated_events=found["undated"],
            past_events=found["past"],
            computed_panorama=found["panorama"],
            **kwargs,
        )


def contact_here(territory, containers, collectivites, answer=None, links=None) -> dict:
    """Who to contact in `territory`, first on its page and its collectivité's: the contact
    finder's answer card (a commune's `answer` when the finder's was computed), a form into
    the finder, and the others serving it. One query, the page's containers and
    collectivités given; none with the contacts' `links` (contact_links_around) too."""
    if answer:
        serving = answer.common
    else:
        serving = serving_territory(territory, containers, collectivites, links)
    if answer:
        cards = answer.cards
    else:
        cards = [{"card": serving.card, "communes": []}] if serving.card else []
    return {
        "contact_cards": cards,
        "serving": serving,
        "finder_form": ContactFinderForm(auto_id="here-%s"),
    }


class TerritoryDetailView(PublicPageCacheMixin, DetailView):
    template_name = "site/territory_detail.html"
    context_object_name = "territory"
    max_children = 200

    def get_cache_tags(self):
        territory = territories_caching.territory_id(self.kwargs["slug"])
        if territory is None:
            return super().get_cache_tags()  # a 404, never cached
        # Its structures and events, its geography and collectivités, and the support
        # services and grants it shows; the panorama is rebuilt in bulk (every page).
        return [
            actors_caching.territory_tag(territory),
            actors_caching.MAP,
            events_caching.territory_tag(territory),
            territories_caching.FAMILY,
            "support",
            "grants",
        ]

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if self.object.slug != kwargs["slug"]:
            return HttpResponsePermanentRedirect(self.object.get_absolute_url())
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_object(self, queryset=None):
        if (territory := resolve_territory(self.kwargs["slug"])) is None:
            raise Http404("Territoire inconnu")
        return territory

    def get_context_data(self, **kwargs):
        territory, key = self.object, self.object.pk
        commune = territory.kind == TerritoryKind.COMMUNE
        # Every read that needs the territory only, in one round trip (then the schemes or
        # the contacts by key): of its structures, names and links only, the first ten of
        # the territory's list.
        reads = {
            "children": (
                territory_statements.children,
                {"territory_id": key, "kind": territory.kind, "size": self.max_children},
            ),
            "containers": (territory_statements.containers, {"territory_id": key}),
            "collectivites": (statements.collectivites_around, {"territory_id": key}),
            "actors": (statements.first_actors, {"territory_id": key, "size": 10}),
            "upcoming": (
                statements.upcoming_events,
                {"territory_id": key, "today": timezone.localdate(), "size": UPCOMING},
            ),
            "panorama": panorama_read(territory),
            "support": support_partials.serving_read(territory),
            "services": services_read(territory),
        }
        if commune:
            reads["postal_codes"] = (territory_statements.postal_codes, {"commune_id": key})
        else:
            # Who serves it, the finder's answer for a commune otherwise (`services`).
            reads["links"] = (territory_statements.contact_links_around, {"territory_id": key})
        found = read_together(**reads)
        children, children_count = with_total(found["children"])
        containers, collectivites = found["containers"], found["collectivites"]
        services, panorama = found["services"], found["panorama"]
        here = contact_here(
            territory, containers, collectivites, services.get("answer"), found.get("links")
        )
        return super().get_context_data(
            containers=containers,
            children=children,
            children_count=children_count,
            collectivites=collectivites,
            postal_codes=found.get("postal_codes", []),
            **here,
            actors=found["actors"],
            counts=directory_counts(territory, panorama.here),
            panorama=panorama,
            upcoming_events=found["upcoming"],
            **services,
            # "Qui peut vous accompagner" (templates/support/_services.html).
            support_services=found["support"],
            support_territory=territory,
            **kwargs,
        )


class SchemeDetailView(KeptObjectMixin, PublicPageCacheMixin, StructuredDataMixin, DetailView):
    template_name = "site/scheme_detail.html"
    context_object_name = "scheme"
    public_object = statements.public_scheme

    def get_queryset(self):
        roles = KeptPrefetch("actor_roles", published_scheme_roles)
        return (
            Scheme.objects.visible_to(self.request.user)
            .for_detail()
            .select_related("collectivite__territory")
            .prefetch_related(roles)
        )

    def get_structured_data(self, base: str, context: dict) -> dict:
        return scheme_ld(self.object, base)

    def get_context_data(self, **kwargs):
        # How to act on it: whom to contact at its carrier (no source names anyone else).
        carrier = self.object.collectivite
        officers = statements.officers_of.rows(collectivite_id=carrier.pk)
        return super().get_context_data(carrier_card=carrier_card(carrier, officers), **kwargs)


class ActorDetailView(KeptObjectMixin, PublicPageCacheMixin, StructuredDataMixin, DetailView):
    template_name = "site/actor_detail.html"
    context_object_name = "actor"
    public_object = statements.public_actor

    def get_cache_tags(self):
        # The structure, its establishments, relations and events (their writes move its
        # tag on); the territories, collectivités and schemes it names; its grants.
        return [actors_caching.actor_tag(self.kwargs["slug"]), territories_caching.FAMILY, "grants"]

    def get_queryset(self):
        return Actor.objects.visible_to(self.request.user).for_detail()

    def get_structured_data(self, base: str, context: dict) -> dict:
        return actor_ld(self.object, base)

    def get_context_data(self, **kwargs):
        actor_id, today = self.object.pk, timezone.localdate()
        received, more = grants.received_by(self.object, GRANTS_SHOWN)
        events = {"actor_id": actor_id, "today": today, "size": 10}
        upcoming, past = rows_together(
            (statements.actor_events, events), (statements.past_actor_events, events)
        )
        return super().get_context_data(
            grants_received=received,
            grants_received_more=more,
            upcoming_events=upcoming,
            past_events=past,
            **kwargs,
        )


class DataView(PublicPageCacheMixin, TemplateView):
    """/donnees/: every dataset, its schema, licence, last update, size and downloads."""

    template_name = "site/data.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(datasets=[dataset_facts(d) for d in DATASETS], **kwargs)


class DataCatalogueView(PublicPageCacheMixin, View):
    """The same, as a DCAT-AP catalogue (JSON-LD) that national portals harvest."""

    def get(self, request, *args, **kwargs):
        base = request.build_absolute_uri("/").rstrip("/")
        catalogue = dcat_catalogue([dataset_facts(d) for d in DATASETS], base)
        return JsonResponse(catalogue, content_type="application/ld+json; charset=utf-8")
