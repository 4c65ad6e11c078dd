"""Browser tests: Playwright drives Debian's Chromium against Django's live server.

Never `playwright install`: the browser is Debian's (`make browsers`). Without it the tests
are skipped on a workstation but fail in CI (the CI environment variable is set), where they
must run.
"""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from tests.dbstate import STATE

# ORM calls run beside Playwright's event loop (also set in tests/conftest.py).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# The real binary avoids a harmless warning that the /usr/bin/chromium wrapper prints.
CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
CHROME_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Every test of this folder drives a browser: `-m "not browser"` leaves them out."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)


def chromium_executable() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    executable = chromium_executable()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium missing: the browser tests must run in CI (`make browsers`).")
        pytest.skip("Chromium missing: run `make browsers`")
    return {**browser_type_launch_args, "executable_path": executable, "args": CHROME_ARGS}


@pytest.fixture(scope="session")
def base_url(pytestconfig):
    """Same value as pytest-playwright's fallback `base_url`, which cannot be used here.

    pytest-playwright 0.10.0 (without pytest-base-url) registers `base_url` as a
    session-scoped fixture defined as an instance method (`_BaseUrlFallback.base_url`), and
    pytest 9.2 raises PytestRemovedIn10Warning for it, an error under `filterwarnings = error`.
    Overriding it here means that fixture never runs. The tests use absolute URLs anyway.
    """
    return pytestconfig.getoption("--base-url") or pytestconfig.getini("base_url") or None


@pytest.fixture(scope="session", autouse=True)
def _plain_http_live_server():
    """Django's live server speaks plain HTTP: only these tests lift the HTTPS settings
    (redirect, HSTS, secure cookies), which the rest of the suite runs with. Session-wide
    and before the live server starts, since middleware reads them when it is built."""
    with override_settings(
        SECURE_SSL_REDIRECT=False,
        SECURE_HSTS_SECONDS=0,
        SESSION_COOKIE_SECURE=False,
        CSRF_COOKIE_SECURE=False,
        # The live server serves static files from the apps' folders (Django's
        # StaticFilesHandler), which know no hashed names: plain names for it.
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ):
        yield


def _django_db_helper(request, django_db_setup, django_db_blocker):
    """The database of a browser test (pytest-django's fixture of that name, overridden in
    this folder): the test commits, as a transactional test does, since the live server
    reads what it writes, but over a committed baseline shared by the browser tests that
    follow one another, the geography and, for `seeded_live`, the seed data, put back as it
    was after each test (see tests/dbstate.py). tests/conftest.py's pytest_fixture_setup
    sets the baseline up."""
    with django_db_blocker.unblock():
        yield
    STATE.after_committed_test(django_db_blocker)


_django_db_helper.committed_baseline = True
_django_db_helper = pytest.fixture(_django_db_helper)


@pytest.fixture
def seeded_live(transactional_db, live_server):
    """The live server's URL, over the test geography and the seed data (committed once for
    the browser tests using them, which run one after another)."""
    return live_server.url
