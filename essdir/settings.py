"""Settings for essdir, driven by the environment and safe by default (DEBUG off).

Every variable is documented in README.md and .env.example.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.management.utils import get_random_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

# Serving (essdir/wsgi.py) and `check --deploy` refuse to run without a SECRET_KEY when DEBUG
# is off; management commands that sign nothing (makemigrations, migrate…) run with a
# throwaway key, so that they need no production secret.
SECRET_KEY_FROM_ENV = bool(os.environ.get("SECRET_KEY"))
SECRET_KEY = os.environ.get("SECRET_KEY") or get_random_secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
# The site's public address (scheme and host, no path): the absolute addresses written for
# other places — the widget's snippets, the alerts' e-mails — come from it, never from a
# request's Host. ALERTS_BASE_URL, its former name, is still read when it is unset.
SITE_URL = (
    os.environ.get("SITE_URL")
    or os.environ.get("ALERTS_BASE_URL")
    or f"https://{(ALLOWED_HOSTS or ['localhost'])[0].lstrip('.')}"
).rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django_filters",
    "ninja",
    "csp",
    "simple_history",
    "axes",
    "territories",
    "actors",
    "support",
    "grants",
    "events",
    "alerts",
    "essdir.apps.EssdirConfig",
]

MIDDLEWARE = [
    # First: a Host not in ALLOWED_HOSTS gets a plain 400 before anything reads it.
    "core.hosts.AllowedHostMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything that reads the database: an outage gives stale pages or a 503.
    "core.outage.DatabaseOutageMiddleware",
    "essdir.middleware.OpenApiCorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.locale.UrlLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: it answers locked-out sign-ins.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "essdir.urls"
WSGI_APPLICATION = "essdir.wsgi.application"

# The site renders with Jinja2, chosen by measurement (essdir/templating.py); the admin
# needs Django's engine, which reads its overrides from templates/django/.
TEMPLATES = [
    {
        "BACKEND": "essdir.templating.Jinja2",
        "NAME": "jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "essdir.templating.environment",
            "context_processors": [
                "django.template.context_processors.i18n",
                "django.contrib.messages.context_processors.messages",
                "essdir.context_processors.site_search",
            ],
        },
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates" / "django"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "essdir.context_processors.site_search",
            ],
        },
    },
]

# Widgets render with Jinja2 too, but for the admin's own (essdir/templating.py).
FORM_RENDERER = "essdir.templating.FormRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        # Persistent connections: connection set-up dominates a short request on PostgreSQL.
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DATABASE_IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if DATABASE_IS_POSTGRES:
    # Random reads cost little more than sequential ones on SSDs; PostgreSQL's default (4)
    # makes it scan whole tables instead of using the full-text and list indexes.
    # work_mem: ranking thousands of full-text matches sorts in memory, not on disk.
    # No parallel workers for a page's queries by default: starting them cost more than
    # they saved (a territory's deep page took 49 ms with 2 workers, 9.5 ms with none),
    # and they take the cores the web workers need.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c random_page_cost={os.environ.get('PG_RANDOM_PAGE_COST', '1.1')} "
        f"-c work_mem={os.environ.get('PG_WORK_MEM', '32MB')} "
        f"-c max_parallel_workers_per_gather={os.environ.get('PG_PARALLEL_WORKERS', '0')}"
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# French is the site's language (unprefixed URLs); English pages live under /en/. The
# language comes from the URL only (essdir/urls.py): see README, "Languages".
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Two caches. "default" is shared by every process of every server: it holds what decides
# freshness (the content version), so that an edit is seen everywhere at once. "pages"
# holds the rendered pages, keyed by that version. With Redis both live there; without it,
# the version lives in the database (table essdir_cache, created on migrate) and the pages
# in each process's memory.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    _redis = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # A Redis outage must not hang requests: fail fast, serve uncached pages.
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
    CACHES = {"default": _redis, "pages": _redis}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "essdir_cache",
            # One small row per page-cache tag (a structure's, a territory's): Django's 300
            # would cull the versions of pages still cached, losing their hits.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        },
        # About 30 KiB a page: at most some 30 MB per process.
        "pages": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 1_000},
        },
    }
CACHE_MIDDLEWARE_SECONDS = int(os.environ.get("CACHE_SECONDS", "300"))

# The admin lives under a configurable path, so that it is not where scanners look.
ADMIN_URL = os.environ.get("ADMIN_URL", "gestion/").strip("/") + "/"

# Security: production values unless DEBUG is on. The test suite runs with these defaults.
_secure = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _secure)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _secure)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", _secure)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if _secure else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", _secure)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 8
X_FRAME_OPTIONS = "DENY"
# Behind an HTTPS reverse proxy that sets X-Forwarded-Proto and appends the client's address
# to X-Forwarded-For (core.clients); without it, both headers are ignored.
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The sites allowed to frame the widget (/integrer/…): CSP sources, separated by commas or
# spaces. Every other page refuses to be framed (frame-ancestors 'none', X-Frame-Options DENY).
WIDGET_FRAME_ANCESTORS = (os.environ.get("WIDGET_FRAME_ANCESTORS") or "*").replace(",", " ").split()

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Sign-in lock-out (django-axes, core/lockout.py), for AXES_COOLOFF_HOURS: an account from
# one address after AXES_FAILURE_LIMIT failures (the pair, so that no one elsewhere can lock
# a member of staff out), and an address after AXES_ADDRESS_FAILURE_LIMIT failures for any
# accounts. The address is the visitor's, behind the proxy too (core.clients).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_ADDRESS_FAILURE_LIMIT = int(os.environ.get("AXES_ADDRESS_FAILURE_LIMIT", "20"))
AXES_COOLOFF_TIME = int(os.environ.get("AXES_COOLOFF_HOURS", "1"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "core.lockout.PairAndAddressHandler"
AXES_CLIENT_IP_CALLABLE = "core.clients.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"

# The API's rate limit per address (django-ninja's syntax: requests/period).
API_RATE = os.environ.get("API_RATE", "120/m")

# E-mail (the alerts). Django's SMTP backend towards a local mail server by default; the
# sender must be an address of the site's domain in production.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
# A mail server that does not answer must not hang a request or the digest command.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "webmaster@localhost")
# Alerts (alerts/): the public address of the site, for the links of the e-mails the
# `send_alerts` command writes without a request (SITE_URL, under the name alerts/ reads);
# the subscription form's rate limits (per e-mail address and per network address, within
# the window); how long an unconfirmed subscription is kept.
ALERTS_BASE_URL = SITE_URL
ALERTS_PER_EMAIL = int(os.environ.get("ALERTS_PER_EMAIL", "3"))
ALERTS_PER_IP = int(os.environ.get("ALERTS_PER_IP", "10"))
ALERTS_RATE_WINDOW = timedelta(minutes=int(os.environ.get("ALERTS_RATE_WINDOW_MINUTES", "60")))
ALERTS_UNCONFIRMED_DAYS = int(os.environ.get("ALERTS_UNCONFIRMED_DAYS", "7"))

# Pagination sizes of the public lists.
PAGE_SIZE = 20
# Lists and searches count exactly up to this many rows, then say "plus de 1 000".
EXACT_COUNT_UP_TO = 1_000
# core.statements: build each kept statement's queryset on every call as well and fail when
# the two differ (the test suite turns it on; it doubles the work of those queries).
STATEMENTS_CHECKED = env_bool("STATEMENTS_CHECKED", False)
# core.prepared: kept statements prepared on each PostgreSQL connection. Off (0) behind a
# connection pooler in transaction mode (PgBouncer), whose server connections change from
# one transaction to the next.
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
# The longest text accepted in a search box or a filter.
QUERY_MAX_LENGTH = 200
CALENDAR_UID_DOMAIN = os.environ.get("CALENDAR_UID_DOMAIN", "essdir.fr")

# HSTS preloading is a commitment for the whole domain: the operator opts in with
# SECURE_HSTS_PRELOAD=1, so the deployment check does not require it.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# The map of the establishments (actors/map.py, static/js/map.js): where its tiles come from
# (allowed by the CSP for that host only), their attribution (HTML), and how many
# establishments are drawn one by one before they are clustered. Free options: README, "Map".
MAP_TILES_URL = (
    os.environ.get("MAP_TILES_URL") or "https://{s}.tile.openstreetmap.fr/osmfr/{z}/{x}/{y}.png"
)
MAP_ATTRIBUTION = os.environ.get("MAP_ATTRIBUTION") or (
    '© les contributeurs d’<a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
    ", fond OSM France"
)
MAP_CLUSTER_THRESHOLD = int(os.environ.get("MAP_CLUSTER_THRESHOLD", "300"))


def tile_origins(url: str) -> list[str]:
    """The origins of the map's tiles, for the CSP; `{s}` is Leaflet's a, b or c subdomain."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return [origin.replace("{s}", sub) for sub in "abc"] if "{s}" in origin else [origin]


CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"] = [
    *CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"],
    *tile_origins(MAP_TILES_URL),
]
TEMPLATES[0]["OPTIONS"]["context_processors"].append("actors.map.map_settings")
# `support_serving(territory)`: the contact finder's "Qui peut vous accompagner" (support/).
TEMPLATES[0]["OPTIONS"]["context_processors"].append("support.context_processors.support")

# The operator's facts for the legal pages (essdir/legal.py): mentions légales, the
# accessibility statement and personal data. Empty, the pages say "non renseigné" and
# `check --deploy` warns (essdir.W001).
SITE_PUBLISHER = os.environ.get("SITE_PUBLISHER", "")
SITE_PUBLISHER_ADDRESS = os.environ.get("SITE_PUBLISHER_ADDRESS", "")
SITE_PUBLICATION_DIRECTOR = os.environ.get("SITE_PUBLICATION_DIRECTOR", "")
SITE_HOSTING_PROVIDER = os.environ.get("SITE_HOSTING_PROVIDER", "")
SITE_HOSTING_ADDRESS = os.environ.get("SITE_HOSTING_ADDRESS", "")
SITE_CONTACT_EMAIL = os.environ.get("SITE_CONTACT_EMAIL", "")
# RGAA 4.1's three states: "totalement", "partiellement" or "non" conforme. Only an audit
# may state the first two; without one, the statement says "non conforme".
ACCESSIBILITY_STATUS = os.environ.get("ACCESSIBILITY_STATUS", "non")
ACCESSIBILITY_STATEMENT_DATE = os.environ.get("ACCESSIBILITY_STATEMENT_DATE", "")

# Open data (README, "Open data"): the complete national files `build_downloads` writes
# (gzip CSV and JSON of every dataset, with their manifest), served under
# /donnees/telechargements/; and the most rows a streamed export writes in one request. The
# structures' CSV, the slowest, streamed 630 rows/s per request with both gunicorn workers
# exporting on a busy 2-core machine: 10 000 rows take 16 s there, half the 30 s timeout.
DOWNLOADS_ROOT = Path(os.environ.get("DOWNLOADS_ROOT") or BASE_DIR / "downloads")
EXPORT_STREAM_MAX_ROWS = int(os.environ.get("EXPORT_STREAM_MAX_ROWS", "10000"))
# Rebuild the national files after each SIRENE import and nightly refresh (essdir.apps).
DOWNLOADS_AFTER_REFRESH = env_bool("DOWNLOADS_AFTER_REFRESH", True)

# data·inclusion (README, "Who can help"): where `import_data_inclusion --download` fetches
# the structures and services files — each file's name (or whole address) joined to the
# base; no default address: copy the stable links of data·inclusion's dataset on
# data.gouv.fr — and where it keeps the local copies.
DATA_INCLUSION_BASE_URL = os.environ.get("DATA_INCLUSION_BASE_URL", "")
DATA_INCLUSION_STRUCTURES_FILE = os.environ.get("DATA_INCLUSION_STRUCTURES_FILE", "structures.json")
DATA_INCLUSION_SERVICES_FILE = os.environ.get("DATA_INCLUSION_SERVICES_FILE", "services.json")
DATA_INCLUSION_DOWNLOAD_DIR = Path(
    os.environ.get("DATA_INCLUSION_DOWNLOAD_DIR") or BASE_DIR / "downloads" / "data-inclusion"
)
DATA_INCLUSION_DOWNLOAD_ATTEMPTS = int(os.environ.get("DATA_INCLUSION_DOWNLOAD_ATTEMPTS", "3"))
