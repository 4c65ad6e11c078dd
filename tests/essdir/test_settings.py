"""The suite runs with the production settings: what every response promises a browser."""

import pytest

pytestmark = pytest.mark.django_db


def test_security_headers_are_sent_with_debug_off(client, settings):
    assert settings.DEBUG is False

    response = client.get("/acteurs/referencer/")

    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


def test_cookies_are_secure_and_http_only_where_they_should_be(client):
    response = client.get("/acteurs/referencer/")

    csrf = response.cookies["csrftoken"]
    assert csrf["secure"] is True
    assert csrf["samesite"] == "Lax"


def test_session_cookie_is_secure(client, admin_user):
    response = client.post(
        "/gestion/login/?next=/gestion/", {"username": "admin", "password": "password"}
    )

    assert response.status_code == 302
    session = response.cookies["sessionid"]

    assert session["secure"] is True
    assert session["httponly"] is True


def test_plain_http_is_redirected_to_https(settings):
    from django.test import Client

    response = Client().get("/collectivites/?q=x")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/collectivites/?q=x"
