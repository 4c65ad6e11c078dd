"""The imported data·inclusion records in the back-office: a read-only list for staff."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from territories.models import StaffMembership
from tests.conftest import HttpsClient
from tests.factories import CollectiviteFactory


def staff_client(*, member: bool = True) -> HttpsClient:
    user = get_user_model().objects.create_user("agente", is_staff=True)
    if member:
        StaffMembership.objects.create(user=user, collectivite=CollectiviteFactory())
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


def test_staff_of_no_collectivite_do_not_see_them(service_maker):
    service_maker("Couveuse fictive", "54528")
    client = staff_client(member=False)

    assert client.get("/gestion/support/supportservice/").status_code == 403
    assert client.get("/gestion/").context["app_list"] == []


def test_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/gestion/support/supportservice/")

    assert response.status_code == 302
