"""The imported data·inclusion records in the back-office: a read-only list for staff."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from tests.conftest import HttpsClient


def staff_client() -> HttpsClient:
    user = get_user_model().objects.create_user("agente", is_staff=True)
    client = HttpsClient()
    client.force_login(user)
    return client


def test_staff_read_the_services_but_cannot_change_them(service_maker):
    service = service_maker("Couveuse fictive", "54528")
    client = staff_client()

    listing = client.get("/gestion/support/supportservice/")
    assert listing.status_code == 200
    assert "Couveuse fictive" in listing.content.decode()
    assert client.get("/gestion/support/supportservice/add/").status_code == 403
    page = client.get(f"/gestion/support/supportservice/{service.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.get("/gestion/support/supportstructure/").status_code == 200


def test_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/gestion/support/supportservice/")

    assert response.status_code == 302
