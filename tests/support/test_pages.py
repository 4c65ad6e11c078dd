"""The contact finder and the territory pages show "Qui peut vous accompagner": the
support services whose zone covers the place, nearest zone first, with their modes of
access, contact and source; their query count does not grow with the services."""

from __future__ import annotations

import re
from types import SimpleNamespace

from django.core.cache import caches
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from tests.html import report, validate_html

TOUL = "commune-54528"


def support_section(html: str) -> str:
    match = re.search(r'<section aria-labelledby="support-title">(.*?)</section>', html, re.S)
    assert match, "no « Qui peut vous accompagner » section"
    return match.group(1)


def titles(section: str) -> list[str]:
    return re.findall(r'<h3 class="card-title"[^>]*>([^<]*)</h3>', section)


TERRITORY_PAGE = "/territoires/commune-54528-toul/"


def check_four_zones(section: str) -> None:
    assert titles(section) == [
        "Couveuse fictive",
        "Accompagnement intercommunal fictif",
        "Appui départemental fictif",
        "Plateforme nationale fictive",
    ]
    assert "Qui peut vous accompagner" in section
    assert "Zone : Toul" in section
    assert "Zone : toute la France" in section
    assert "En présentiel" in section and "Téléphoner" in section
    assert 'href="tel:0300000001"' in section
    assert 'href="https://exemple.invalid/rdv"' in section
    assert 'href="mailto:appui@exemple.invalid"' in section
    assert "Source : data·inclusion (fictif)" in section


def test_the_territory_page_lists_the_services_nearest_zone_first(client, four_zones):
    response = client.get(TERRITORY_PAGE)

    assert response.status_code == 200
    check_four_zones(support_section(response.content.decode()))


def test_the_partial_given_the_finders_context_lists_them_too(rf, four_zones, territory):
    # What the contact finder's page gives the partial: its commune, and the context
    # processor's support_serving() (the finder's view lives on a lower floor).
    html = render_to_string(
        "support/_services.html", {"commune": territory(TOUL)}, request=rf.get("/contacts/")
    )

    check_four_zones(support_section(html))


def test_the_partial_given_a_postal_codes_communes_lists_those_covering_any(
    rf, service_maker, territory
):
    service_maker("Service fictif de Flirey", "54200")
    service_maker("Service fictif des Vosges", "88")
    answer = SimpleNamespace(communes=[territory(TOUL), territory("commune-54200")])
    html = render_to_string(
        "support/_services.html", {"commune": None, "answer": answer}, request=rf.get("/")
    )

    assert titles(support_section(html)) == ["Service fictif de Flirey"]


def test_the_partial_says_nothing_without_a_place(rf, four_zones):
    html = render_to_string("support/_services.html", {"answer": None}, request=rf.get("/"))

    assert "support-title" not in html


def test_the_territory_page_says_when_no_service_is_known(client, db):
    response = client.get(TERRITORY_PAGE)

    assert "Aucun service d" in support_section(response.content.decode())


def test_query_count_is_the_same_with_one_and_three_services(client, service_maker):
    url = TERRITORY_PAGE
    # A first visit sets the page-cache tags' versions up (core.caching): not measured.
    client.get(url)
    counts = []
    for names in (["Un"], ["Deux", "Trois"]):
        for name in names:
            service_maker(f"Service fictif {name}", "54528")
        caches["pages"].clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(len(queries))
        assert len(titles(support_section(response.content.decode()))) == len(counts) * 2 - 1

    assert counts[0] == counts[1]


def test_the_pages_with_services_are_valid_html(client, four_zones):
    urls = ["/contacts/?commune=commune-54528", "/contacts/?q=54200", TERRITORY_PAGE]
    pages = {url: client.get(url).content.decode() for url in urls}
    assert all('id="support-title"' in html for html in pages.values())

    errors = validate_html(pages)
    assert errors == {url: [] for url in urls}, report(errors)


def test_the_english_page_reads_in_english(client, four_zones):
    html = client.get("/en" + TERRITORY_PAGE).content.decode()

    section = support_section(html)
    assert "Who can help you" in section
    assert "Area: all of France" in section
    assert "In person" in section and "Call" in section
