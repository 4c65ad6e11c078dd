"""URLs of the benchmark (bench.settings and bench.bare_settings): the floor, then the
site's own URLs, so that the layout's `{% url %}` tags resolve as on the site."""

from django.urls import path

from bench.views import FloorView
from essdir.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    path("bench/floor/", FloorView.as_view(), name="bench_floor"),
    *site_urlpatterns,
]
