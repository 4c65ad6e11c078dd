import atexit
import os
import shutil
import tempfile
import unittest
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import translation
from pytest_django.fixtures import validate_django_db

from territories.models import Territory
from tests import servers
from tests.dbstate import GEOGRAPHY, SEED, SEED_LAYER, STATE, Need, load_seed
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


# Set when pytest-xdist's controller collected the static files for its workers.
STATIC_COLLECTED = "ESSDIR_TESTS_STATIC_COLLECTED"


def pytest_sessionstart(session):
    """With pytest-xdist, the controller collects the static files once, before its workers
    start (its own hook runs last): the workers would write the same files at once. It also
    gives them a folder to share (tests/servers.py), removed when they are done."""
    if session.config.pluginmanager.has_plugin("dsession"):
        call_command("collectstatic", interactive=False, verbosity=0)
        os.environ[STATIC_COLLECTED] = "1"  # inherited by the workers
        shared = tempfile.mkdtemp(prefix="essdir-tests-")
        atexit.register(shutil.rmtree, shared, ignore_errors=True)
        os.environ[servers.SHARED_FOLDER] = shared


@pytest.fixture(scope="session", autouse=True)
def _static_manifest(tmp_path_factory):
    """Collect the static files once: production's hashed, compressed storage needs them."""
    if not os.environ.get(STATIC_COLLECTED):
        call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(scope="session", autouse=True)
def _statements_checked():
    """Every statement core.statements keeps is compared with the queryset built the
    ordinary way, on every call of the suite: a kept statement that reads something outside
    its arguments fails the test that meets it."""
    with override_settings(STATEMENTS_CHECKED=True):
        yield


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hasher():
    """Passwords hashed with a fast hasher, as Django advises for tests: production's
    PBKDF2 takes a good third of a second per password, and the sign-in tests (lock-outs)
    hash dozens. The sign-in code is the same; only the hash function differs."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _language_reset():
    """Each test starts and ends in French: a request to an English page activates English
    in the thread (LocaleMiddleware), which would otherwise last into the next tests."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def client():
    return HttpsClient()


@pytest.fixture
def admin_client(admin_user):
    client = HttpsClient()
    client.force_login(admin_user)
    return client


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings, request):
    """With --reuse-db (make test-fast), SQLite's test database, otherwise in memory, is a
    file that the next run can keep: .pytest_cache/test-db/ (one per pytest-xdist worker).
    PostgreSQL's is kept by pytest-django itself."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if request.config.getoption("reuse_db") and database["ENGINE"].endswith("sqlite3"):
        folder = Path(settings.BASE_DIR) / ".pytest_cache" / "test-db"
        folder.mkdir(parents=True, exist_ok=True)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        database.setdefault("TEST", {})["NAME"] = str(folder / f"test_{worker}.sqlite3")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database starts with the real territories of Grand Est and the 92."""
    with django_db_blocker.unblock():
        load_test_geography()
    yield
    # Last, once the live server and Playwright are gone: no shared data stays.
    STATE.close(django_db_blocker)


@pytest.fixture
def territory():
    """Look a territory up by slug or short form: territory("commune-54528")."""

    def get(slug: str) -> Territory:
        return Territory.objects.by_slug(slug).get()

    return get


@pytest.fixture
def seed(db, request):
    """The seed data of fixtures/seed/, as `manage.py seed` loads it.

    Loaded once for the tests that ask for it one after another (they run first), each
    test rolling back its own changes; see tests/dbstate.py. A transactional test loads it
    itself (the database is emptied after it).
    """
    if not STATE.holds_seed(request.node):
        load_seed()


# --- The database's state between tests (tests/dbstate.py) -----------------------------------


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    """Before pytest-django starts a test's own transaction (in its _django_db_helper
    fixture, which every test using the database goes through), make the database hold what
    the test needs: its shared layers, or the committed baseline of a browser test."""
    if fixturedef.argname == "_django_db_helper":
        need = database_need(request.node, fixturedef)
        STATE.prepare(request.node, need, request.getfixturevalue("django_db_blocker"))
    return (yield)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Before any fixture of a test: the shared layer goes unless the test uses it."""
    rolled_back = uses_database(item) and not transactional(item) and not django_test_case(item)
    STATE.before_setup(shared_layers(item) if rolled_back else None)


def uses_database(item) -> bool:
    names = getattr(item, "fixturenames", ())
    return item.get_closest_marker("django_db") is not None or "_django_db_helper" in names


def transactional(item) -> bool:
    """Whether pytest-django commits this test's writes and empties the database after it
    (its own rule, in _django_db_helper)."""
    marker = item.get_closest_marker("django_db")
    if marker is not None:
        transaction, reset_sequences, *_ = validate_django_db(marker)
        if transaction or reset_sequences:
            return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


def django_test_case(item) -> bool:
    cls = getattr(item, "cls", None)
    return cls is not None and issubclass(cls, unittest.TestCase)


def shared_layers(item) -> tuple:
    """The layers a rolled-back test needs: the seed data, then its `shared_data` fixtures."""
    names = getattr(item, "fixturenames", ())
    layers = [SEED_LAYER] if "seed" in names else []
    definitions = item._fixtureinfo.name2fixturedefs if names else {}
    for name in names:
        found = definitions.get(name)
        build = getattr(found[-1].func, "shared_build", None) if found else None
        if build is not None:
            layers.append(build)
    return tuple(layers)


def database_need(item, fixturedef) -> Need:
    if getattr(fixturedef.func, "committed_baseline", False):  # tests/browser/conftest.py
        seeded = {"seed", "seeded_live"} & set(item.fixturenames)
        return Need("committed", committed=SEED if seeded else GEOGRAPHY)
    if django_test_case(item):
        return Need("own")
    if transactional(item):
        return Need("flush")
    return Need("rollback", layers=shared_layers(item))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Tests sharing a database state run one after another, in the order of pytest-django
    (which runs before): the seed data's tests first, then the other rolled-back ones, the
    browser tests (over the seed data, then over the geography only), the other
    transactional ones, and those without a database. Stable within each group."""

    def rank(item) -> int:
        if not uses_database(item):
            return 5
        if item.get_closest_marker("browser"):
            return 2 if {"seed", "seeded_live"} & set(item.fixturenames) else 3
        if transactional(item):
            return 4
        return 0 if "seed" in item.fixturenames else 1

    items.sort(key=rank)


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
