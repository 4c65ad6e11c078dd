"""The embeddable widget: the ESS directory of a collectivité or a territory in a compact page
that the collectivités' own sites frame, and the page giving the snippet to paste.

The widget pages alone may be framed by other sites; they set no cookie (no session, no
CSRF token: the search form is a GET) and are cacheable by browsers and proxies.
"""

from __future__ import annotations

from urllib.parse import urlencode

from csp.decorators import csp_replace
from django.conf import settings
from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.generic import DetailView

from actors.models import Actor
from core.caching import PublicPageCacheMixin
from core.forms import SearchForm
from core.views import QueryFormMixin, has_invalid_input
from essdir.languages import territory_in
from essdir.search import search_everything
from events.models import Event
from territories.filters import resolve_territory
from territories.models import Collectivite, Contact, Scheme, Territory, TerritoryKind

# How many records each block of the widget shows; the rest is one link away on essdir.
ITEMS = 3
# The link card's stylesheet, by its plain (unhashed) name: pasted snippets outlive deploys.
CARD_STYLESHEET = "css/widget-card.css"


class FrameableMixin:
    """Other sites may frame the page (CSP frame-ancestors, no X-Frame-Options), and browsers
    and proxies may keep it for CACHE_SECONDS.

    Placed before PublicPageCacheMixin, so that pages served from the cache and 304s get
    the same headers. Errors (404) keep refusing to be framed, like every other page.
    """

    def dispatch(self, request, *args, **kwargs):
        frame_ancestors = {"frame-ancestors": settings.WIDGET_FRAME_ANCESTORS}
        view = xframe_options_exempt(csp_replace(frame_ancestors)(super().dispatch))
        response = view(request, *args, **kwargs)
        if response.status_code in (200, 304):
            response["Cache-Control"] = f"public, max-age={settings.CACHE_MIDDLEWARE_SECONDS}"
        return response


class WidgetView(FrameableMixin, PublicPageCacheMixin, QueryFormMixin, DetailView):
    """A place's directory in brief: contacts, schemes, upcoming events and structures, the
    first few of each, or what a search finds around the place."""

    form_class = SearchForm
    template_name = "widget/widget.html"

    def get_territory(self) -> Territory:
        raise NotImplementedError

    def get_heading(self) -> str:
        raise NotImplementedError

    def get_blocks(self, territory: Territory) -> dict:
        """The first ITEMS records of each block, and where to see them all on essdir."""
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        territory = self.get_territory()
        context.update(
            territory=territory,
            heading=self.get_heading(),
            place_url=self.object.get_absolute_url(),
        )
        if query := self.get_query():
            params = urlencode({"q": query, "territoire": territory.short_slug})
            context.update(
                query=query,
                search_url=f"{reverse('site:search')}?{params}",
                **search_everything(query, territory),
            )
        elif not has_invalid_input(self.get_form()):
            context.update(self.get_blocks(territory))
        return context


def upcoming_events(territory: Territory):
    return Event.objects.published().upcoming_in(territory, timezone.localdate())


def structures(territory: Territory):
    return Actor.objects.published().in_territory(territory).for_list().order_by("name", "pk")


def list_url(name: str, territory: Territory) -> str:
    return f"{reverse(name)}?{urlencode({'territoire': territory.short_slug})}"


class CollectiviteWidgetView(WidgetView):
    """/integrer/<collectivité>/: its contacts and schemes, the upcoming events and the
    structures of its territory."""

    context_object_name = "collectivite"

    def get_queryset(self):
        # Published only, whoever asks: the page is cached publicly and framed elsewhere.
        return Collectivite.objects.published().for_list()

    def get_territory(self) -> Territory:
        return self.object.territory

    def get_heading(self) -> str:
        return _("L'ESS avec %(name)s") % {"name": self.object.name}

    def get_blocks(self, territory: Territory) -> dict:
        collectivite, page = self.object, self.object.get_absolute_url()
        contacts = Contact.objects.published().of(collectivite).for_list().by_importance()
        return {
            "contacts": contacts[:ITEMS],
            "contacts_url": f"{page}#contacter",
            "schemes": Scheme.objects.published().of(collectivite).for_list()[:ITEMS],
            "schemes_url": f"{page}#dispositifs",
            "events": upcoming_events(territory).for_list()[:ITEMS],
            "actors": structures(territory)[:ITEMS],
        }


class TerritoryObjectMixin:
    """A territory named by its slug or short form; the short form redirects to the slug."""

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if self.object.slug != kwargs["slug"]:
            return HttpResponsePermanentRedirect(
                reverse(request.resolver_match.view_name, kwargs={"slug": self.object.slug})
            )
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_object(self, queryset=None):
        if (territory := resolve_territory(self.kwargs["slug"])) is None:
            raise Http404(_("Territoire inconnu"))
        return territory


class TerritoryWidgetView(TerritoryObjectMixin, WidgetView):
    """/integrer/territoire/<territoire>/: the contacts serving it, the schemes open to it,
    its upcoming events and its structures."""

    context_object_name = "territory"

    def get_territory(self) -> Territory:
        return self.object

    def get_heading(self) -> str:
        return _("L'ESS %(where)s") % {"where": territory_in(self.object)}

    def get_blocks(self, territory: Territory) -> dict:
        contacts = Contact.objects.published().around(territory).for_list().by_importance()
        if territory.kind == TerritoryKind.COMMUNE:
            finder = reverse("territories:contact_finder")
            contacts_url = f"{finder}?{urlencode({'commune': territory.short_slug})}"
        else:
            contacts_url = territory.get_absolute_url()
        schemes = Scheme.objects.published().accessible_in(territory).nearest_first()
        return {
            "contacts": contacts[:ITEMS],
            "contacts_url": contacts_url,
            "show_collectivite": True,
            "schemes": schemes[:ITEMS],
            "schemes_url": list_url("territories:scheme_list", territory),
            "events": upcoming_events(territory).for_list()[:ITEMS],
            "actors": structures(territory)[:ITEMS],
        }


def site_url(path: str) -> str:
    """`path` on the site's public address (SITE_URL), whatever host the request came by:
    a snippet pasted elsewhere must point to the canonical site."""
    return settings.SITE_URL + path


class EmbedCodeMixin:
    """The snippets to paste on another site (an <iframe>, a script-free link card), shown
    as code and previewed. An ordinary page of the site: it refuses to be framed.

    Their addresses are absolute, on SITE_URL, never on the request's Host: a request
    through another allowed host name must not give (nor, through the page cache, fix for
    everyone) snippets pointing elsewhere."""

    template_name = "widget/code.html"
    widget_url_name = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        absolute = site_url
        context.update(
            widget_url=absolute(reverse(self.widget_url_name, kwargs={"slug": self.object.slug})),
            page_url=absolute(self.object.get_absolute_url()),
            card_stylesheet_url=absolute(settings.STATIC_URL + CARD_STYLESHEET),
        )
        return context


class CollectiviteCodeView(EmbedCodeMixin, PublicPageCacheMixin, DetailView):
    widget_url_name = "widget:collectivite"
    context_object_name = "place"

    def get_queryset(self):
        return Collectivite.objects.published().for_list()


class TerritoryCodeView(EmbedCodeMixin, TerritoryObjectMixin, PublicPageCacheMixin, DetailView):
    widget_url_name = "widget:territory"
    context_object_name = "place"
