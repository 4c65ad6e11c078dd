"""Settings of `make bench`: the site's own settings, plus the benchmark's app (the data
generator's command) and its floor page, `/bench/floor/`, served through the site's whole
middleware stack. bench/run exports DJANGO_SETTINGS_MODULE=bench.settings for every step."""

from essdir.settings import *  # noqa: F403 (the project's settings, then the differences)
from essdir.settings import BASE_DIR, INSTALLED_APPS, TEMPLATES

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]
