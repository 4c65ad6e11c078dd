from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from actors.models import Actor
from events.models import Event
from territories.models import Collectivite, Scheme


class BilingualSitemap(Sitemap):
    """Each page in French and in English, with its alternates (hreflang) and x-default."""

    i18n = True
    alternates = True
    x_default = True


class StaticSitemap(BilingualSitemap):
    def items(self):
        return [
            "site:home",
            "territories:collectivite_list",
            "territories:budget_comparison",
            "grants:comparison",
            "territories:scheme_list",
            "territories:contact_finder",
            "actors:list",
            "events:list",
        ]

    def location(self, item):
        return reverse(item)


class PublishedSitemap(BilingualSitemap):
    model = None

    def items(self):
        return self.model.objects.published().order_by("pk")

    def lastmod(self, item):
        return item.updated_at


class CollectiviteSitemap(PublishedSitemap):
    model = Collectivite


class SchemeSitemap(PublishedSitemap):
    model = Scheme


class ActorSitemap(PublishedSitemap):
    model = Actor


class EventSitemap(PublishedSitemap):
    model = Event


SITEMAPS = {
    "pages": StaticSitemap,
    "collectivites": CollectiviteSitemap,
    "dispositifs": SchemeSitemap,
    "acteurs": ActorSitemap,
    "evenements": EventSitemap,
}
