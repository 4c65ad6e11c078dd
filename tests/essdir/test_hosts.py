"""The Host header. One not in ALLOWED_HOSTS (core/hosts.py): 400 with the plain 400 page,
in French or in English under /en/, and one warning in the logs — never a 500, never an
error with a traceback; checked through Django's test client and through gunicorn. Another
allowed host name: the widget's snippets still point to SITE_URL, and the page cache keeps
one copy per host, so that no request fixes another host's addresses for everyone."""

import html
import logging
import os
import re
import socket
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests import servers
from tests.conftest import HttpsClient
from tests.factories import CollectiviteFactory

pytestmark = pytest.mark.django_db

BAD_HOST = "evil.example"
FRENCH_400 = "<h1>Requête invalide</h1>"
ENGLISH_400 = "<h1>Bad request</h1>"


@pytest.fixture
def collectivite():
    return CollectiviteFactory(name="Ville de test", slug="ville-de-test")


def bad_host_paths(collectivite) -> list[tuple[str, str]]:
    """Every kind of page, with the 400 page expected in its language."""
    return [
        ("/", "fr"),
        ("/en/", "en"),
        (f"/collectivites/{collectivite.slug}/", "fr"),
        (f"/en/collectivites/{collectivite.slug}/", "en"),
        ("/api/acteurs/", "fr"),
        ("/integrer/territoire/commune-54528-toul/", "fr"),
        (f"/integrer/{collectivite.slug}/", "fr"),
        (f"/integrer/{collectivite.slug}/code/", "fr"),
        ("/static/css/site.css", "fr"),
    ]


def assert_plain_400(response, language: str) -> None:
    assert response.status_code == 400
    page = response.content.decode()
    assert f'<html lang="{language}">' in page
    assert (FRENCH_400 if language == "fr" else ENGLISH_400) in page
    # Nothing built from the host: no absolute address at all, no language alternates.
    assert BAD_HOST not in page
    assert 'rel="alternate"' not in page
    assert response["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response


def assert_one_warning(caplog) -> None:
    logged = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert [(r.name, r.levelname) for r in logged] == [
        ("django.security.DisallowedHost", "WARNING")
    ]
    assert BAD_HOST in logged[0].getMessage()
    assert logged[0].exc_info is None


def test_a_host_not_allowed_gets_the_plain_400_page_and_one_warning(
    client, settings, collectivite, caplog
):
    assert settings.DEBUG is False
    for path, language in bad_host_paths(collectivite):
        caplog.clear()

        # The test client would raise any exception the request raised.
        response = client.get(path, HTTP_HOST=BAD_HOST)

        assert_plain_400(response, language)
        assert_one_warning(caplog)


def test_a_host_not_allowed_gets_400_over_plain_http_and_for_writes_too(collectivite, caplog):
    # Over HTTP, the HTTPS redirect would have read the host first.
    assert_plain_400(Client().get("/en/", HTTP_HOST=BAD_HOST), "en")
    assert_one_warning(caplog)
    caplog.clear()

    response = HttpsClient().post("/gestion/login/", {"username": "a"}, HTTP_HOST=BAD_HOST)

    assert_plain_400(response, "fr")
    assert_one_warning(caplog)


def test_a_malformed_host_gets_400_too(client, caplog):
    response = client.get("/", HTTP_HOST="bad host!")

    assert response.status_code == 400
    assert FRENCH_400 in response.content.decode()
    assert [r.levelname for r in caplog.records if r.levelno >= logging.WARNING] == ["WARNING"]


def test_allowed_hosts_are_served_as_before(client, collectivite, caplog):
    response = client.get(f"/collectivites/{collectivite.slug}/")

    assert response.status_code == 200
    assert 'rel="alternate"' in response.content.decode()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_an_ordinary_400_page_keeps_its_language_links(client):
    # A bad filter on a bilingual list: the 400 page of an allowed host, alternates and all.
    response = client.get("/en/acteurs/?q=" + "x" * 201)

    assert response.status_code == 400
    assert 'hreflang="fr"' in response.content.decode()


# --- The canonical address (SITE_URL) and the page cache -------------------------------------

CANONICAL = "essdir.example.org"
OTHER = "other-allowed.example"


@pytest.fixture
def two_hosts(settings):
    """The site answers to two host names; SITE_URL names the canonical one."""
    settings.ALLOWED_HOSTS = [CANONICAL, OTHER]
    settings.SITE_URL = f"https://{CANONICAL}"


def snippets(response) -> str:
    """The code to paste, as it will be copied."""
    shown = re.findall(
        r'<pre class="code"[^>]*><code>(.*?)</code></pre>', response.content.decode(), re.S
    )
    assert len(shown) == 2
    return html.unescape("".join(shown))


def test_the_widget_snippets_point_to_the_canonical_site_whatever_the_host(
    client, two_hosts, collectivite
):
    code_page = f"/integrer/{collectivite.slug}/code/"

    # Through the other host name first: the page that would have been cached for everyone.
    other = client.get(code_page, HTTP_HOST=OTHER)
    canonical = client.get(code_page, HTTP_HOST=CANONICAL)
    other_again = client.get(code_page, HTTP_HOST=OTHER)

    for response in (other, canonical, other_again):
        assert response.status_code == 200
        code = snippets(response)
        assert f'src="https://{CANONICAL}/integrer/{collectivite.slug}/"' in code
        assert f'href="https://{CANONICAL}/static/css/widget-card.css"' in code
        assert f'href="https://{CANONICAL}/collectivites/{collectivite.slug}/"' in code
        assert OTHER not in code
    assert OTHER not in canonical.content.decode()


def test_the_page_cache_keeps_one_copy_per_host(
    client, two_hosts, collectivite, django_assert_num_queries
):
    # The language alternates are absolute addresses built from the request's host.
    page = f"/collectivites/{collectivite.slug}/"
    other = client.get(page, HTTP_HOST=OTHER)

    canonical = client.get(page, HTTP_HOST=CANONICAL)

    assert f'href="https://{OTHER}{page}"' in other.content.decode()
    assert f'href="https://{CANONICAL}{page}"' in canonical.content.decode()
    assert OTHER not in canonical.content.decode()
    assert canonical["ETag"] != other["ETag"]
    # Each is served from the cache afterwards: one query, the content version.
    with django_assert_num_queries(1):
        again = client.get(page, HTTP_HOST=CANONICAL)
    assert again.content == canonical.content


def test_a_stale_page_is_served_only_to_its_own_host(client, two_hosts, collectivite):
    from django.db import OperationalError, connection

    def unreachable(execute, sql, params, many, context):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")

    client.get("/collectivites/", HTTP_HOST=OTHER)

    with connection.execute_wrapper(unreachable):
        canonical = client.get("/collectivites/", HTTP_HOST=CANONICAL)
        other = client.get("/collectivites/", HTTP_HOST=OTHER)

    assert canonical.status_code == 503
    assert other.status_code == 200
    assert other["Warning"] == '110 - "Response is Stale"'


def test_site_url_defaults_to_the_first_allowed_host_and_reads_alerts_base_url():
    def settings_in(environment: dict) -> list[str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"SITE_URL", "ALERTS_BASE_URL", "ALLOWED_HOSTS"}
        }
        code = "from essdir import settings; print(settings.SITE_URL, settings.ALERTS_BASE_URL)"
        output = subprocess.run(
            [sys.executable, "-c", code],
            cwd=django_settings.BASE_DIR,
            env={**env, **environment},
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
        return output.split()

    assert settings_in({"ALLOWED_HOSTS": ".essdir.example.org,www.essdir.example.org"}) == [
        "https://essdir.example.org",
        "https://essdir.example.org",
    ]
    assert settings_in({"SITE_URL": "https://annuaire.example.org/"}) == [
        "https://annuaire.example.org",
        "https://annuaire.example.org",
    ]
    # Its former name, as deployments set it for the alerts.
    assert settings_in({"ALERTS_BASE_URL": "https://ess.example.org"}) == [
        "https://ess.example.org",
        "https://ess.example.org",
    ]


@pytest.mark.parametrize(
    ("site_url", "allowed_hosts", "valid"),
    [
        ("https://essdir.example.org", ["essdir.example.org"], True),
        ("https://www.essdir.example.org", [".essdir.example.org"], True),
        ("https://essdir.example.org:8443", ["essdir.example.org"], True),
        ("http://essdir.example.org", ["essdir.example.org"], False),
        ("https://elsewhere.example", ["essdir.example.org"], False),
        ("https://*", ["*"], False),
        ("https://essdir.example.org/annuaire", ["essdir.example.org"], False),
        ("essdir.example.org", ["essdir.example.org"], False),
    ],
)
def test_check_deploy_requires_site_url_on_an_allowed_host(
    settings, site_url, allowed_hosts, valid
):
    from essdir.checks import E003, site_url_is_ours

    settings.SITE_URL = site_url
    settings.ALLOWED_HOSTS = allowed_hosts

    assert [error.id for error in site_url_is_ours()] == ([] if valid else [E003])


# --- Through gunicorn ---------------------------------------------------------------------------


def raw_get(port: int, host: str, path: str = "/", proto: str = "https") -> bytes:
    """One HTTP/1.1 request written by hand, as a scanner would send it."""
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nX-Forwarded-Proto: {proto}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture
def gunicorn(tmp_path):
    """The README's command, DEBUG off, on loopback, with a migrated SQLite database."""
    with servers.gunicorn(tmp_path, BEHIND_PROXY="1") as (port, log, _env):
        yield port, log


def test_gunicorn_answers_400_to_a_host_not_allowed(gunicorn):
    port, log = gunicorn

    answers = {
        (path, proto): raw_get(port, BAD_HOST, path, proto)
        for path in ("/", "/en/", "/api/acteurs/")
        for proto in ("https", "http")
    }
    served = raw_get(port, "essdir.example.org", "/robots.txt")

    for (path, _proto), answer in answers.items():
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400 "), (path, head)
        assert (ENGLISH_400 if path == "/en/" else FRENCH_400).encode() in body
        assert BAD_HOST.encode() not in body
    assert served.startswith(b"HTTP/1.1 200 "), served[:200]
    # One warning line per refused request; no error, no traceback.
    output = log.read_text()
    assert output.count("Invalid HTTP_HOST header: 'evil.example'") == len(answers), output
    assert "Traceback" not in output
    assert "Internal Server Error" not in output
