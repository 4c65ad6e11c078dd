"""URLs of the bare benchmark floor (essdir.bench_settings): the floor, then the site's own
URLs, so that the layout's `{% url %}` tags resolve as on the site."""

from django.urls import path

from essdir.bench import FloorView
from essdir.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    path("bench/floor/", FloorView.as_view(), name="bench_bare_floor"),
    *site_urlpatterns,
]
