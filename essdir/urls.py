from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.views.generic import TemplateView

from essdir.sitemaps import SITEMAPS

urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("acteurs/", include("actors.urls")),
    path("evenements/", include("events.urls")),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
        name="robots",
    ),
    path("", include("territories.urls")),
]

if settings.BENCH_FLOOR:
    from essdir.bench import FloorView

    urlpatterns.insert(0, path("bench/floor/", FloorView.as_view(), name="bench_floor"))
