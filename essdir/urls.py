from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.views.generic import TemplateView

from core.downloads import DownloadView
from essdir import admin_views, legal, views
from essdir.api import api
from essdir.sitemaps import SITEMAPS

# The pages that show several apps' records (see essdir/views.py).
site_patterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("recherche/", views.SearchView.as_view(), name="search"),
    path("collectivites/<slug:slug>/", views.CollectiviteDetailView.as_view(), name="collectivite"),
    path("territoires/<str:slug>/", views.TerritoryDetailView.as_view(), name="territory"),
    path("dispositifs/<slug:slug>/", views.SchemeDetailView.as_view(), name="scheme"),
    path("acteurs/<slug:slug>/", views.ActorDetailView.as_view(), name="actor"),
    path("donnees/", views.DataView.as_view(), name="data"),
    path("donnees/catalogue.jsonld", views.DataCatalogueView.as_view(), name="catalogue"),
    path(
        "mentions-legales/",
        legal.LegalPageView.as_view(template_name="site/legal/legal_notice.html"),
        name="legal_notice",
    ),
    path(
        "accessibilite/",
        legal.LegalPageView.as_view(template_name="site/legal/accessibility.html"),
        name="accessibility",
    ),
    path(
        "donnees-personnelles/",
        legal.PrivacyView.as_view(),
        name="privacy",
    ),
    path(
        "plan-du-site/",
        legal.LegalPageView.as_view(template_name="site/legal/site_map.html"),
        name="site_map",
    ),
    path("signaler-une-erreur/", legal.ReportErrorView.as_view(), name="report_error"),
]

admin_patterns = [
    # The admin's index, opening on the work waiting for the user.
    path("", admin.site.admin_view(admin_views.index), name="index"),
    path(
        "r/<int:content_type_id>/<path:object_id>/",
        admin.site.admin_view(admin_views.view_on_site),
        name="view_on_site",
    ),
    path(
        "a-revoir/",
        admin.site.admin_view(admin_views.StaleRecordsView.as_view()),
        name="stale_records",
    ),
]

urlpatterns = [
    # Before the admin's own URLs, which they replace or extend.
    path(settings.ADMIN_URL, include((admin_patterns, "backoffice"))),
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/", api.urls),
    # The national files (core/downloads.py): one address whatever the language.
    path("donnees/telechargements/<str:name>", DownloadView.as_view(), name="download"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
        name="robots",
    ),
]

# The public pages, in French unprefixed and in English under /en/. The language comes
# from the URL alone (LocaleMiddleware falls back to LANGUAGE_CODE on unprefixed paths,
# never to a cookie or Accept-Language), so one URL is one language, cacheable as such.
urlpatterns += i18n_patterns(
    # Before the site's pages: /acteurs/referencer/ is not an actor.
    path("acteurs/", include("actors.urls")),
    path("evenements/", include("events.urls")),
    path("", include("territories.urls")),
    # Before the site's pages: /collectivites/subventions/ is not a collectivité.
    path("", include("grants.urls")),
    path("", include("support.urls")),
    path("", include((site_patterns, "site"))),
    # E-mail alerts, sent in the language of the page that asked for them (alerts/mail.py).
    path("alertes/", include("alerts.urls")),
    # The widget and its code page: an English page gives the English widget's snippet.
    path("integrer/", include("essdir.widget_urls")),
    prefix_default_language=False,
)
