"""Behind the reverse proxy, through the README's gunicorn command: every limit counts the
address the proxy appended to X-Forwarded-For, whatever a client writes before it (the
API's rate, the sign-in lock-out), so that a forged first entry buys nothing and one
visitor's failures lock no one else out."""

import http.client
import re
import subprocess
import sys

import pytest
from django.conf import settings

from tests import servers

HOST = "essdir.example.org"
PASSWORD = "un-mot-de-passe-de-test-assez-long"


def request(port: int, method: str, path: str, client: str, forged: str = "", **extra):
    """One request as the proxy forwards it: X-Forwarded-For ends with the client's address,
    after whatever the client itself sent; X-Forwarded-Proto says HTTPS."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    forwarded = f"{forged}, {client}" if forged else client
    headers = {
        "Host": HOST,
        "X-Forwarded-For": forwarded,
        "X-Forwarded-Proto": "https",
        **extra.pop("headers", {}),
    }
    connection.request(method, path, headers=headers, **extra)
    response = connection.getresponse()
    body = response.read().decode("utf-8", "replace")
    cookies = response.headers.get_all("Set-Cookie") or []
    connection.close()
    return response.status, body, cookies


@pytest.fixture
def proxied(tmp_path):
    with servers.gunicorn(tmp_path, BEHIND_PROXY="1", API_RATE="5/m", AXES_FAILURE_LIMIT="3") as (
        port,
        log,
        env,
    ):
        subprocess.run(
            [sys.executable, "manage.py", "createsuperuser", "--noinput"],
            cwd=settings.BASE_DIR,
            env={
                **env,
                "DJANGO_SUPERUSER_USERNAME": "agente",
                "DJANGO_SUPERUSER_EMAIL": "agente@example.org",
                "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
            },
            check=True,
            timeout=120,
        )
        yield port, log


def test_the_api_limit_counts_the_address_the_proxy_added(proxied):
    port, _log = proxied

    rotating = [
        request(port, "GET", "/api/acteurs/", "203.0.113.7", forged=f"198.51.100.{n}")[0]
        for n in range(8)
    ]
    neighbour = request(port, "GET", "/api/acteurs/", "203.0.113.8")[0]

    assert rotating == [200] * 5 + [429] * 3
    assert neighbour == 200


def sign_in(port: int, client: str, password: str, forged: str = "") -> int:
    """The admin's sign-in form, as a browser fills it: its CSRF cookie and token first."""
    status, page, cookies = request(port, "GET", "/gestion/login/", client, forged)
    assert status == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    cookie = next(c.split(";")[0] for c in cookies if c.startswith("csrftoken="))
    body = f"csrfmiddlewaretoken={token}&username=agente&password={password}&next=/gestion/"
    status, _page, _cookies = request(
        port,
        "POST",
        "/gestion/login/",
        client,
        forged,
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
            "Referer": f"https://{HOST}/gestion/login/",
            "Origin": f"https://{HOST}",
        },
    )
    return status


def test_sign_in_failures_lock_out_their_own_address_only(proxied):
    port, _log = proxied

    failures = [sign_in(port, "203.0.113.7", "faux", forged=f"198.51.100.{n}") for n in range(3)]
    locked = sign_in(port, "203.0.113.7", PASSWORD, forged="198.51.100.99")
    colleague = sign_in(port, "203.0.113.8", PASSWORD)

    # A failure shows the form again (200), the third locks the pair out (429); then even the
    # right password is refused from that address, and signs the colleague in (302).
    assert failures == [200, 200, 429]
    assert locked == 429
    assert colleague == 302
