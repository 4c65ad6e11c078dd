"""The contact finder shows "Qui peut vous accompagner" after the collectivités' contacts:
the support services whose zone covers the commune, nearest zone first; its query count
does not grow with the services."""

from __future__ import annotations

from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from territories.models import Territory
from tests.support.test_pages import check_four_zones, support_section, titles


def test_the_finder_lists_the_services_nearest_zone_first(client, four_zones):
    response = client.get("/contacts/", {"commune": "commune-54528"})

    assert response.status_code == 200
    html = response.content.decode()
    check_four_zones(support_section(html))
    assert html.index('id="support-title"') > html.index('id="answer-title"')


def test_the_finder_for_a_postal_code_lists_the_services_of_its_communes(client, service_maker):
    neighbour = (
        Territory.objects.communes()
        .filter(postal_codes__code="54200")
        .exclude(code="54528")
        .order_by("code")
        .first()
    )
    service_maker("Service fictif du voisin", neighbour.code)
    service_maker("Service fictif des Vosges", "88")

    response = client.get("/contacts/", {"q": "54200"})

    assert len(response.context["answer"].communes) > 1
    assert titles(support_section(response.content.decode())) == ["Service fictif du voisin"]


def test_the_finders_query_count_is_the_same_with_one_and_three_services(client, service_maker):
    counts = []
    for names in (["Un"], ["Deux", "Trois"]):
        for name in names:
            service_maker(f"Service fictif {name}", "54528")
        caches["pages"].clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/contacts/", {"commune": "commune-54528"})
        assert response.status_code == 200
        counts.append(len(queries))
        assert len(titles(support_section(response.content.decode()))) == len(counts) * 2 - 1

    assert counts[0] == counts[1]
