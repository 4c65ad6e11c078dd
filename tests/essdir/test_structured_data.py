"""Every detail page describes its record as schema.org JSON-LD."""

import datetime
import json
import re

import pytest

from tests.factories import (
    ActorFactory,
    CollectiviteFactory,
    ContactFactory,
    EventFactory,
    SchemeFactory,
)

pytestmark = pytest.mark.django_db


def json_ld(response) -> dict:
    (block,) = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.S
    )
    return json.loads(block)


def test_actor_page_is_an_organization_with_its_identifiers(client):
    actor = ActorFactory(name="Régie de quartier", family="association", siren="732829320")

    data = json_ld(client.get(actor.get_absolute_url()))

    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NGO"
    assert data["name"] == "Régie de quartier"
    assert data["identifier"] == [
        {"@type": "PropertyValue", "propertyID": "SIREN", "value": "732829320"}
    ]


def test_collectivite_page_is_a_government_organization_with_contact_points(client):
    collectivite = CollectiviteFactory(name="Département d'essai")
    ContactFactory(collectivite=collectivite, name="Camille Martin", email="c.martin@example.org")

    data = json_ld(client.get(collectivite.get_absolute_url()))

    assert data["@type"] == "GovernmentOrganization"
    assert data["contactPoint"] == [
        {
            "@type": "ContactPoint",
            "name": "Camille Martin",
            "jobTitle": "Chargée de mission ESS",
            "contactType": "économie sociale et solidaire",
            "email": "c.martin@example.org",
        }
    ]


def test_event_page_gives_dates_with_the_paris_offset(client):
    event = EventFactory(
        title="Forum",
        start_date=datetime.date(2026, 12, 3),
        start_time=datetime.time(9, 0),
        end_time=datetime.time(12, 30),
    )

    data = json_ld(client.get(event.get_absolute_url()))

    assert data["@type"] == "Event"
    assert data["startDate"] == "2026-12-03T09:00:00+01:00"
    assert data["endDate"] == "2026-12-03T12:30:00+01:00"
    assert data["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    assert data["location"]["@type"] == "Place"


def test_scheme_page_is_a_government_service_of_its_collectivite(client):
    scheme = SchemeFactory(name="Fonds ESS")

    data = json_ld(client.get(scheme.get_absolute_url()))

    assert data["@type"] == "GovernmentService"
    assert data["provider"]["name"] == scheme.collectivite.name
    assert data["areaServed"] == {"@type": "AdministrativeArea", "name": "Meurthe-et-Moselle"}


def test_json_ld_cannot_close_its_script_element(client):
    actor = ActorFactory(name="</script><script>alert(1)</script>")

    response = client.get(actor.get_absolute_url())

    assert json_ld(response)["name"] == "</script><script>alert(1)</script>"
    assert "<script>alert(1)" not in response.content.decode()


def test_actor_with_an_establishment_gives_its_address_and_coordinates(client, territory):
    from actors.models import Establishment

    actor = ActorFactory(name="Coopérative du Toulois", siren="732829320")
    Establishment.objects.create(
        actor=actor,
        siret="73282932000074",
        nic="00074",
        address="12 rue de la Paix",
        postal_code="54200",
        commune=territory("commune-54528"),
        commune_code="54528",
        commune_label="TOUL",
        is_head_office=True,
        latitude=48.675,
        longitude=5.891,
    )

    data = json_ld(client.get(actor.get_absolute_url()))

    assert data["address"] == {
        "@type": "PostalAddress",
        "streetAddress": "12 rue de la Paix",
        "postalCode": "54200",
        "addressLocality": "TOUL",
        "addressCountry": "FR",
    }
    assert data["geo"] == {"@type": "GeoCoordinates", "latitude": 48.675, "longitude": 5.891}
    assert {"@type": "PropertyValue", "propertyID": "SIRET", "value": "73282932000074"} in data[
        "identifier"
    ]
