"""Settings of the bare benchmark floor: the benchmark's settings with no middleware at all.

bench/run serves `gunicorn essdir.wsgi` with DJANGO_SETTINGS_MODULE=bench.bare_settings
on a second port, beside the site, with the same workers. Its `/bench/floor/?kb=N` renders
about N KiB of list items through the same template engine, templates, context processors,
static files manifest and gunicorn as the site, and nothing else: the fastest a page of that
size can be served, which every page of the site is compared with.
"""

from bench.settings import *  # noqa: F403 (the benchmark's settings, then the differences)

MIDDLEWARE = []
