"""The map of the establishments (static/js/map.js) in a real browser.

Tiles are never fetched from the internet: every request that is not for the live server is
routed by Playwright, the tiles' host (the default MAP_TILES_URL, which the CSP allows) to a
local stub answering a 1×1 PNG, anything else aborted.
"""

import base64
import re
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, Route, expect

from tests.factories import ActorFactory, EstablishmentFactory, territory
from tests.geo import load_test_geography

pytestmark = pytest.mark.django_db(transaction=True)

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
TILE_HOST = re.compile(r"^[abc]\.tile\.openstreetmap\.fr$")
BLOCKING_IMPACTS = ("serious", "critical")
CLUSTER_NAME = "3 établissements : voir la liste de cette zone"


class Stub:
    """Routes a page's requests: the live server's pass, tiles get the PNG, others fail."""

    def __init__(self, live_url: str):
        self.live_host = urlsplit(live_url).netloc
        self.tiles: list[str] = []
        self.refused: list[str] = []
        self.geojson: list[str] = []

    def __call__(self, route: Route) -> None:
        url = route.request.url
        host = urlsplit(url).netloc
        if host == self.live_host:
            if urlsplit(url).path == "/acteurs/carte.geojson":
                self.geojson.append(urlsplit(url).query)
            route.continue_()
        elif TILE_HOST.match(host):
            self.tiles.append(url)
            route.fulfill(status=200, content_type="image/png", body=PNG)
        else:
            self.refused.append(url)
            route.abort()


def watch(page: Page) -> list[str]:
    """The page's console errors and uncaught exceptions (CSP violations show there)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


@pytest.fixture
def live(transactional_db, live_server):
    """The live server's URL, over the test geography and five establishments of three
    structures: three in one building of Toul (two structures, so that they fall in the
    same cell of the grid at every zoom), two in Nancy."""
    load_test_geography()
    recyclerie = ActorFactory(name="Recyclerie de Toul")
    jardin = ActorFactory(name="Jardin de Toul")
    atelier = ActorFactory(name="Atelier de Nancy", territory=territory("commune-54395"))
    for actor, longitude, latitude in [
        (recyclerie, 5.89, 48.625),
        (recyclerie, 5.89, 48.625),
        (jardin, 5.89, 48.625),
        (atelier, 6.17, 48.74),
        (atelier, 6.18, 48.75),
    ]:
        EstablishmentFactory(actor=actor, longitude=longitude, latitude=latitude)
    return live_server.url


def open_map(page: Page, url: str) -> Stub:
    stub = Stub(url)
    page.route("**/*", stub)
    page.goto(url)
    expect(page.locator("[data-map]")).to_have_attribute("data-map-state", "ready")
    return stub


def test_map_loads_tiles_from_the_stub_and_shows_each_establishment(live, page: Page):
    errors = watch(page)

    stub = open_map(page, f"{live}/acteurs/")

    expect(page.locator(".map-block")).to_be_visible()
    expect(page.locator("img.leaflet-tile-loaded").first).to_be_attached()
    assert stub.tiles
    assert all(urlsplit(url).path.startswith("/osmfr/") for url in stub.tiles)
    assert stub.refused == []
    # Unfiltered, the map starts on France: no request for the extent of everything.
    assert stub.geojson and all(query.startswith("bbox=") for query in stub.geojson)
    markers = page.locator("[data-map] a.map-point")
    expect(markers).to_have_count(5)
    expect(markers.filter(has_text="Jardin de Toul")).to_have_attribute(
        "href", "/acteurs/jardin-de-toul/"
    )
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("OpenStreetMap")
    assert errors == []


def test_markers_are_reached_with_tab_and_opened_with_enter(live, page: Page):
    open_map(page, f"{live}/acteurs/?territoire=commune-54395")
    page.locator("[data-map]").focus()

    page.keyboard.press("Tab")

    focused = page.locator("a.map-point:focus")
    expect(focused).to_have_accessible_name("Atelier de Nancy")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live}/acteurs/atelier-de-nancy/")


def test_click_on_a_cluster_narrows_the_list(live, page: Page, settings):
    settings.MAP_CLUSTER_THRESHOLD = 3
    # Filtered: the map first fits the extent of what matches (Toul to Nancy).
    open_map(page, f"{live}/acteurs/?territoire=departement-54")
    cluster = page.get_by_role("link", name=CLUSTER_NAME)

    cluster.click()

    expect(page).to_have_url(
        f"{live}/acteurs/?territoire=departement-54&bbox=5.88999%2C48.62499%2C5.89001%2C48.62501"
    )
    expect(page.get_by_role("heading", level=2, name="2 acteurs")).to_be_visible()
    expect(page.locator(".grid h3")).to_have_text(["Jardin de Toul", "Recyclerie de Toul"])
    expect(page.get_by_role("link", name="Retirer cette zone")).to_be_visible()
    # The narrowed list's map shows that zone: the three establishments one by one.
    expect(page.locator("[data-map]")).to_have_attribute("data-map-state", "ready")
    expect(page.locator("[data-map] a.map-point")).to_have_count(3)


def test_actor_list_with_its_map_has_no_serious_accessibility_violation(live, page: Page):
    open_map(page, f"{live}/acteurs/")

    response = Axe().run(page).response

    assert [
        f"{v['id']} ({v['impact']}): {v['nodes'][0]['target'][0]} {v['help']}"
        for v in response["violations"]
        if v["impact"] in BLOCKING_IMPACTS
    ] == []


def test_actor_list_works_without_javascript(live, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    errors = watch(page)
    stub = Stub(live)
    page.route("**/*", stub)

    page.goto(f"{live}/acteurs/")

    expect(page.get_by_role("heading", level=2, name="3 acteurs")).to_be_visible()
    expect(page.locator(".grid h3")).to_have_text(
        ["Atelier de Nancy", "Jardin de Toul", "Recyclerie de Toul"]
    )
    expect(page.locator(".map-block")).to_be_hidden()
    assert stub.tiles == []
    assert errors == []
    context.close()
