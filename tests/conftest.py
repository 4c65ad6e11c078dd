import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from territories.models import Territory
from tests.geo import load_test_geography

# WhiteNoise warns (an error here) when a WSGI application is built, as a test module may do
# at collection, before collectstatic filled STATIC_ROOT: make sure the folder exists.
(Path(__file__).resolve().parent.parent / "staticfiles").mkdir(exist_ok=True)

# ORM calls run beside Playwright's event loop in the browser tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


class HttpsClient(Client):
    """The suite runs with the production settings (HTTPS redirect, secure cookies…): the
    test clients speak HTTPS, as browsers do in production."""

    def generic(self, *args, **kwargs):
        kwargs["secure"] = True
        return super().generic(*args, **kwargs)


@pytest.fixture(scope="session", autouse=True)
def _static_manifest(tmp_path_factory):
    """Collect the static files once: production's hashed, compressed storage needs them."""
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture
def client():
    return HttpsClient()


@pytest.fixture
def admin_client(admin_user):
    client = HttpsClient()
    client.force_login(admin_user)
    return client


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database starts with the real territories of Grand Est and the 92."""
    with django_db_blocker.unblock():
        load_test_geography()


@pytest.fixture
def territory():
    """Look a territory up by slug or short form: territory("commune-54528")."""

    def get(slug: str) -> Territory:
        return Territory.objects.by_slug(slug).get()

    return get


@pytest.fixture
def seed(db):
    """The seed data of fixtures/seed/, as `manage.py seed` loads it."""
    call_command("seed", "--skip-geography", verbosity=0, stdout=io.StringIO())


@pytest.fixture(autouse=True)
def _clear_cache():
    """Pages cached by one test are not seen by the next, nor the option lists memoized by
    content version (a test's writes do not move the version: nothing commits). (The shared
    "default" cache lives in the database, which each test rolls back.)"""
    from django.core.cache import caches

    from core import caching

    caches["pages"].clear()
    caching._memo.clear()
    yield
    caches["pages"].clear()
    caching._memo.clear()
