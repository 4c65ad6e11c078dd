"""Behind the reverse proxy (BEHIND_PROXY), what is counted per address is counted per
visitor: the last X-Forwarded-For entry, the one the proxy appended (core/clients.py), not
the proxy's own address. The sign-in lock-out (core/lockout.py) locks an account from one
address, so that no one elsewhere can lock a member of staff out, and an address that fails
on many accounts."""

import pytest
from django.contrib.auth.models import User
from django.test import RequestFactory
from django.urls import reverse

from core.clients import client_address

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
PASSWORD = "un-mot-de-passe-solide"
CLIENT_A = "203.0.113.7"
CLIENT_B = "198.51.100.20"


@pytest.fixture
def behind_proxy(settings):
    settings.BEHIND_PROXY = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


@pytest.fixture
def staff():
    return User.objects.create_user("editrice", password=PASSWORD, is_staff=True)


def sign_in(client, forwarded_for: str | None, password: str, username: str = "editrice"):
    """A sign-in as the proxy forwards it: from the proxy's address, with the client's
    address appended to X-Forwarded-For (`forwarded_for` is the whole header)."""
    headers = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_PROTO": "https"}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post(
        reverse("admin:login"), {"username": username, "password": password}, **headers
    )


def fail(client, settings, forwarded_for: str | None, username: str = "editrice") -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = sign_in(client, forwarded_for, "faux", username)
        assert response.status_code in (200, 429)


# --- client_address ---------------------------------------------------------------------------


def request(remote="10.0.0.2", forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_client_address_is_the_last_forwarded_entry_behind_the_proxy(behind_proxy):
    assert client_address(request(forwarded=CLIENT_A)) == CLIENT_A
    assert client_address(request(forwarded=f"1.2.3.4, {CLIENT_A}")) == CLIENT_A
    assert client_address(request(forwarded=f"{CLIENT_A},{CLIENT_B}")) == CLIENT_B
    # One address, one spelling.
    assert client_address(request(forwarded="2001:DB8:0::1")) == "2001:db8::1"


def test_client_address_falls_back_to_the_peer_when_the_entry_is_no_address(behind_proxy):
    assert client_address(request()) == PROXY
    assert client_address(request(forwarded="")) == PROXY
    assert client_address(request(forwarded=f"{CLIENT_A}, unknown")) == PROXY
    assert client_address(request(forwarded=f"{CLIENT_A}, 203.0.113.7:443")) == PROXY


def test_client_address_ignores_forwarded_for_without_the_proxy(settings):
    assert settings.BEHIND_PROXY is False

    assert client_address(request(remote=CLIENT_A, forwarded=CLIENT_B)) == CLIENT_A


# --- Sign-in lock-out -------------------------------------------------------------------------


def test_failures_from_one_client_do_not_lock_another_out_behind_the_proxy(
    client, settings, behind_proxy, staff
):
    fail(client, settings, CLIENT_A)

    response = sign_in(client, CLIENT_B, PASSWORD)

    assert response.status_code == 302
    assert response.wsgi_request.user == staff


def test_failures_from_one_client_lock_that_client_out_behind_the_proxy(
    client, settings, behind_proxy, staff
):
    fail(client, settings, CLIENT_A)

    response = sign_in(client, CLIENT_A, PASSWORD)

    assert response.status_code == 429
    assert "temporairement bloquée" in response.content.decode()


def test_a_forged_first_forwarded_entry_does_not_let_a_locked_client_escape(
    client, settings, behind_proxy, staff
):
    fail(client, settings, CLIENT_A)

    # The client wrote B's address; the proxy appended A's, the one that counts.
    response = sign_in(client, f"{CLIENT_B}, {CLIENT_A}", PASSWORD)

    assert response.status_code == 429
    # And forged entries while failing did not spare A's address either.
    other = User.objects.create_user("gestionnaire", password=PASSWORD, is_staff=True)
    fail(client, settings, f"{CLIENT_B}, {CLIENT_A}", username=other.username)
    assert sign_in(client, CLIENT_A, PASSWORD, username=other.username).status_code == 429


def test_forwarded_for_is_ignored_without_the_proxy(client, settings, staff):
    assert settings.BEHIND_PROXY is False

    fail(client, settings, CLIENT_A)

    # The peer is the same (REMOTE_ADDR): another X-Forwarded-For changes nothing.
    response = sign_in(client, CLIENT_B, PASSWORD)

    assert response.status_code == 429


def test_an_address_failing_on_many_accounts_is_locked_out_of_all(
    client, settings, behind_proxy, staff
):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 8
    # Fewer failures than the per-account limit on each account: only the address's total
    # reaches its limit.
    for number in range(settings.AXES_ADDRESS_FAILURE_LIMIT):
        sign_in(client, CLIENT_A, "faux", username=f"compte-{number}")

    assert sign_in(client, CLIENT_A, PASSWORD).status_code == 429
    assert sign_in(client, CLIENT_B, PASSWORD).status_code == 302


def test_below_both_limits_a_right_password_signs_in(client, settings, behind_proxy, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, CLIENT_A, "faux")

    assert sign_in(client, CLIENT_A, PASSWORD).status_code == 302
