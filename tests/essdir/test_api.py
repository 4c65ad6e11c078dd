"""The read-only API: same filters as the lists, cursor pagination, OpenAPI, CORS, limits."""

import base64

import pytest
from django.core.cache import caches

from tests.factories import CollectiviteFactory, EventFactory, SchemeFactory

pytestmark = pytest.mark.django_db


def test_schemes_come_in_the_dispositif_aide_format_with_the_lists_filters(client, seed):
    response = client.get("/api/dispositifs/", {"territoire": "Moselle", "page_size": 200})

    data = response.json()
    listed = client.get("/dispositifs/", {"territoire": "Moselle"}).context["paginator"].count
    assert response.status_code == 200
    assert len(data["results"]) == listed
    assert set(data["results"][0]) >= {"id", "titre", "eligibilite_geographique", "porteurs"}


def test_cursor_pagination_walks_every_record_once(client):
    created = [SchemeFactory(name=f"Dispositif {n:02}") for n in range(7)]

    seen, url, params = [], "/api/dispositifs/", {"page_size": 3}
    while url:
        page = client.get(url, params).json()
        seen += [row["titre"] for row in page["results"]]
        url, params = page["next"], None

    assert seen == [scheme.name for scheme in created]


def test_bad_filters_answer_400_with_the_message(client):
    response = client.get("/api/collectivites/", {"territoire": "atlantide"})

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Paramètres invalides : Territoire inconnu")


def test_a_malformed_cursor_answers_4xx_not_5xx(client):
    response = client.get("/api/evenements/", {"cursor": "%%%not-base64"})

    assert 400 <= response.status_code < 500


def test_collectivites_and_events_are_listed(client):
    CollectiviteFactory(name="Département d'essai")
    EventFactory(title="Forum d'essai", start_date=None, date_precision="unknown")

    collectivites = client.get("/api/collectivites/").json()["results"]
    events = client.get("/api/evenements/", {"periode": "tous"}).json()["results"]

    assert [c["nom"] for c in collectivites] == ["Département d'essai"]
    assert [(e["title"], e["timings"]) for e in events] == [("Forum d'essai", [])]


def test_openapi_description_and_documentation_page(client):
    schema = client.get("/api/openapi.json").json()
    docs = client.get("/api/docs/")

    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/acteurs/",
        "/api/dispositifs/",
        "/api/subventions/",
        "/api/collectivites/",
        "/api/evenements/",
        "/api/accompagnement/",
        "/api/accompagnement-structures/",
    }
    assert docs.status_code == 200


def test_any_origin_may_read_the_api(client):
    response = client.get("/api/dispositifs/", headers={"Origin": "https://example.org"})
    preflight = client.options(
        "/api/dispositifs/",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"},
    )

    assert response["Access-Control-Allow-Origin"] == "*"
    assert (preflight.status_code, preflight["Access-Control-Allow-Methods"]) == (
        204,
        "GET, HEAD, OPTIONS",
    )


def test_site_pages_are_not_shared_with_other_origins(client):
    response = client.get("/dispositifs/", headers={"Origin": "https://example.org"})

    assert "Access-Control-Allow-Origin" not in response


def test_an_address_is_limited(client, settings):
    from essdir.api import AddressThrottle

    settings.API_RATE = "2/m"
    throttle = AddressThrottle()
    throttle.cache.clear()

    statuses = [client.get("/api/dispositifs/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def b64(text: str | bytes) -> str:
    return base64.b64encode(text if isinstance(text, bytes) else text.encode()).decode()


# Cursors nobody got from the API: each answers a 400 saying so, never a 500 (ninja's own
# decoding let most of them reach the database). The API writes `p=<id>[&r=True][&o=<n>]`.
FORGED_CURSORS = {
    "bad base64": "cD1uYW4",
    "not ascii": "é",
    "not utf-8": b64(b"p=\xff\xfe"),
    "no query string": b64("garbage"),
    "wrong key": b64("x=1"),
    "extra key": b64("p=1&admin=1"),
    "repeated key": b64("p=1&p=2"),
    "no position": b64("o=0"),
    "empty position": b64("p="),
    "nan": b64("p=nan"),
    "inf": b64("p=inf"),
    "negative": b64("p=-1"),
    "decimal": b64("p=1.5"),
    "huge": b64("p=" + "9" * 30),
    "beyond 64 bits": b64(f"p={2**63}"),
    "direction not a boolean": b64("p=1&r=maybe"),
    "negative offset": b64("p=1&o=-1"),
    "offset out of bounds": b64("p=1&o=100"),
    "another ordering, by date": b64("p=2026-01-01T10:00:00Z"),
    "another ordering, by name": b64("p=Envie"),
}
LISTS = ["/api/acteurs/", "/api/dispositifs/", "/api/collectivites/", "/api/evenements/"]


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("cursor", FORGED_CURSORS.values(), ids=FORGED_CURSORS)
def test_a_forged_cursor_answers_a_documented_400(client, path, cursor):
    client.raise_request_exception = False

    response = client.get(path, {"cursor": cursor})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["detail"].startswith("Curseur invalide (")
    assert "`next` ou `previous`" in response.json()["detail"]
    documented = client.get("/api/openapi.json").json()["paths"][path]["get"]["responses"]
    assert documented["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


def test_the_apis_own_cursors_walk_forward_and_back(client):
    created = [SchemeFactory(name=f"Dispositif {n:02}") for n in range(5)]

    first = client.get("/api/dispositifs/", {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    back = client.get(third["previous"]).json()

    assert [row["titre"] for row in third["results"]] == [created[4].name]
    assert third["next"] is None
    assert [row["titre"] for row in back["results"]] == [s.name for s in created[2:4]]


@pytest.fixture
def default_rate(settings):
    settings.API_RATE = "120/m"
    caches["pages"].clear()


def test_behind_the_proxy_the_limit_counts_the_address_the_proxy_added(
    client, settings, default_rate
):
    settings.BEHIND_PROXY = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    proxy = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_PROTO": "https"}

    # The client forges a new first entry each time; the proxy appends its real address.
    statuses = [
        client.get(
            "/api/dispositifs/", HTTP_X_FORWARDED_FOR=f"198.51.100.{n % 250}, 203.0.113.7", **proxy
        ).status_code
        for n in range(130)
    ]
    other = client.get("/api/dispositifs/", HTTP_X_FORWARDED_FOR="203.0.113.8", **proxy)

    assert statuses == [200] * 120 + [429] * 10
    assert other.status_code == 200


def test_without_the_proxy_the_limit_counts_the_peer_and_ignores_forwarded_for(
    client, settings, default_rate
):
    settings.API_RATE = "2/m"
    assert settings.BEHIND_PROXY is False

    statuses = [
        client.get(
            "/api/dispositifs/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        ).status_code
        for n in range(3)
    ]
    other = client.get("/api/dispositifs/", REMOTE_ADDR="203.0.113.8")

    assert statuses == [200, 200, 429]
    assert other.status_code == 200
