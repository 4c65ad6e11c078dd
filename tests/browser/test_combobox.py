"""The territory suggestions (static/js/territory-combobox.js) in a real browser.

The page is a fixture served through Playwright's request interception, so these tests
need neither the database nor the suggestion endpoint: `http://essdir.test/…` answers a
filter form wired as the contract says, the real static files (under the site's strict
Content Security Policy, so an inline style or eval would show up as a console error) and
canned JSON for `/territoires/suggestions/`. Submissions are intercepted too and recorded.
"""

import json
import re
import unicodedata
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import BrowserContext, Page, Route, expect

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "http://essdir.test"
FORM_PATH = "/acteurs/"
SUGGEST_PATH = "/territoires/suggestions/"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'self'; object-src 'none'"
)
STATIC_TYPES = {".js": "text/javascript", ".css": "text/css"}
BLOCKING_IMPACTS = ("serious", "critical")

TERRITORIES = [
    {"value": "departement-54", "label": "Meurthe-et-Moselle (54)", "kind": "Département"},
    {"value": "commune-10242", "label": "Meurville (10)", "kind": "Commune"},
    {"value": "commune-54528", "label": "Toul (54)", "kind": "Commune"},
]
ANNOUNCE_2 = "2 suggestions, utilisez les flèches haut et bas"

PAGE = """<!doctype html>
<html lang="fr">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Acteurs de l'ESS · essdir</title>
  <link rel="stylesheet" href="/static/css/site.css">
  <link rel="stylesheet" href="/static/css/combobox.css">
  <script src="/static/js/territory-combobox.js" defer></script>
</head>
<body>
  <main id="contenu" class="wrap">
    <h1>Acteurs de l'économie sociale et solidaire</h1>
    <form class="filters" method="get" action="/acteurs/">
      <h2 class="filters-title">Filtrer</h2>
      <div class="field">
        <label for="id_q">Recherche</label>
        <input type="search" name="q" id="id_q">
      </div>
      <div class="field">
        <label for="id_territoire">Territoire</label>
        <input type="text" name="territoire" id="id_territoire" maxlength="250"
               data-suggest-url="/territoires/suggestions/" autocomplete="off"{extra}>
      </div>
      <div class="filters-actions"><button type="submit">Appliquer</button></div>
    </form>
  </main>
</body>
</html>
"""
RESULTS_PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>Résultats</title></head><body><main><h1>Résultats</h1></main></body></html>"""


def fold(text: str) -> str:
    """Lowercase without accents, as the server compares names."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class FakeSite:
    """Answers every request to ORIGIN and records what the page asked for."""

    def __init__(self, extra_attributes: str = ""):
        self.extra_attributes = extra_attributes
        self.queries: list[str] = []  # `q` of each suggestion request, in order
        self.submissions: list[dict[str, list[str]]] = []
        self.held: list[Route] = []  # suggestion requests left unanswered on purpose
        self.hold_queries: set[str] = set()

    def install(self, target: Page | BrowserContext) -> None:
        target.route(re.compile(rf"^{re.escape(ORIGIN)}/"), self.serve)

    def serve(self, route: Route) -> None:
        url = urlsplit(route.request.url)
        if url.path.startswith("/static/"):
            path = ROOT / url.path.lstrip("/")
            route.fulfill(
                status=200,
                content_type=STATIC_TYPES[path.suffix],
                body=path.read_text(encoding="utf-8"),
            )
        elif url.path == SUGGEST_PATH:
            query = parse_qs(url.query).get("q", [""])[0]
            self.queries.append(query)
            if query in self.hold_queries:
                self.held.append(route)
                return
            results = (
                [t for t in TERRITORIES if fold(t["label"]).startswith(fold(query))]
                if len(query) >= 2
                else []
            )
            route.fulfill(
                status=200,
                content_type="application/json",
                body=json.dumps({"results": results[:10]}),
            )
        elif url.path == FORM_PATH and url.query:
            self.submissions.append(parse_qs(url.query, keep_blank_values=True))
            route.fulfill(status=200, content_type="text/html", body=RESULTS_PAGE)
        elif url.path == FORM_PATH:
            route.fulfill(
                status=200,
                content_type="text/html; charset=utf-8",
                headers={"Content-Security-Policy": CSP},
                body=PAGE.replace("{extra}", self.extra_attributes),
            )
        else:
            route.fulfill(status=404, content_type="text/plain", body="Not found")


@pytest.fixture
def site(page: Page) -> FakeSite:
    fake = FakeSite()
    fake.install(page)
    return fake


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Console errors (CSP violations among them) and uncaught exceptions of the page."""
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def blocking_violations(page: Page) -> list[str]:
    response = Axe().run(page).response
    return [
        f"{v['id']} ({v['impact']}): {v['nodes'][0]['target'][0]} {v['help']}"
        for v in response["violations"]
        if v["impact"] in BLOCKING_IMPACTS
    ]


def wait_until(page: Page, condition, timeout_ms: int = 3000) -> None:
    """Wait in real time (route handlers and events run meanwhile) until `condition()`."""
    for _ in range(timeout_ms // 25):
        if condition():
            return
        page.wait_for_timeout(25)
    assert condition(), "condition not met in time"


def field(page: Page):
    return page.get_by_role("combobox", name="Territoire", exact=True)


def listbox(page: Page):
    return page.get_by_role("listbox", name="Territoire", exact=True)


def test_keyboard_choice_submits_the_slug(site, console_errors, page: Page):
    page.goto(f"{ORIGIN}{FORM_PATH}")
    combobox = field(page)
    expect(combobox).to_have_attribute("aria-expanded", "false")
    expect(combobox).to_have_attribute("aria-autocomplete", "list")

    combobox.press_sequentially("meur")

    options = listbox(page).get_by_role("option")
    expect(options).to_have_text(["Meurthe-et-Moselle (54) Département", "Meurville (10) Commune"])
    expect(combobox).to_have_attribute("aria-expanded", "true")
    expect(combobox).to_have_attribute("aria-controls", listbox(page).get_attribute("id"))
    expect(page.get_by_role("status")).to_have_text(ANNOUNCE_2)
    expect(options.first).to_have_attribute("aria-selected", "false")
    expect(combobox).not_to_have_attribute("aria-activedescendant", re.compile(".*"))
    assert blocking_violations(page) == []

    combobox.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(combobox).to_have_attribute("aria-activedescendant", options.first.get_attribute("id"))
    combobox.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(options.first).to_have_attribute("aria-selected", "false")
    combobox.press("ArrowDown")  # wraps around
    expect(options.first).to_have_attribute("aria-selected", "true")
    assert blocking_violations(page) == []  # with an active option too

    combobox.press("Enter")  # chooses: does not submit
    expect(listbox(page)).to_be_hidden()
    expect(combobox).to_have_attribute("aria-expanded", "false")
    expect(combobox).not_to_have_attribute("aria-activedescendant", re.compile(".*"))
    expect(combobox).to_be_focused()
    expect(combobox).to_have_value("Meurthe-et-Moselle (54)")
    assert site.submissions == []

    combobox.press("Enter")  # list closed: the form submits
    expect(page).to_have_title("Résultats")
    assert site.submissions == [{"q": [""], "territoire": ["departement-54"]}]
    assert console_errors == []


def test_escape_and_tab_close_the_list_and_typed_text_is_submitted(
    site, console_errors, page: Page
):
    page.goto(f"{ORIGIN}{FORM_PATH}")
    combobox = field(page)
    combobox.press_sequentially("meur")
    expect(listbox(page)).to_be_visible()
    expect(combobox).to_have_attribute("aria-expanded", "true")

    combobox.press("Escape")
    expect(listbox(page)).to_be_hidden()
    expect(combobox).to_have_attribute("aria-expanded", "false")
    expect(combobox).to_have_value("meur")

    combobox.press("ArrowDown")  # reopens on the first option
    expect(combobox).to_have_attribute("aria-expanded", "true")
    expect(listbox(page).get_by_role("option").first).to_have_attribute("aria-selected", "true")

    combobox.press("Tab")  # leaves without choosing
    expect(page.get_by_role("button", name="Appliquer")).to_be_focused()
    expect(listbox(page)).to_be_hidden()
    expect(combobox).to_have_attribute("aria-expanded", "false")
    expect(combobox).to_have_value("meur")

    page.get_by_role("button", name="Appliquer").click()
    expect(page).to_have_title("Résultats")
    assert site.submissions == [{"q": [""], "territoire": ["meur"]}]
    assert console_errors == []


def test_editing_a_chosen_suggestion_submits_the_new_text(site, console_errors, page: Page):
    page.goto(f"{ORIGIN}{FORM_PATH}")
    combobox = field(page)
    combobox.press_sequentially("meur")
    listbox(page).get_by_role("option", name="Meurville (10) Commune").click()
    expect(combobox).to_have_value("Meurville (10)")
    expect(combobox).to_be_focused()  # the click kept the focus in the field

    combobox.fill("toul")
    expect(listbox(page).get_by_role("option")).to_have_text(["Toul (54) Commune"])
    expect(page.get_by_role("status")).to_have_text(
        "1 suggestion, utilisez les flèches haut et bas"
    )
    combobox.press("Enter")  # no option highlighted: the form submits the text
    expect(page).to_have_title("Résultats")
    assert site.submissions == [{"q": [""], "territoire": ["toul"]}]
    assert console_errors == []


def test_a_slug_rendered_with_its_label_shows_the_label_and_submits_the_slug(page: Page):
    site = FakeSite(' value="departement-54" data-suggest-label="Meurthe-et-Moselle (54)"')
    site.install(page)
    page.goto(f"{ORIGIN}{FORM_PATH}")
    expect(field(page)).to_have_value("Meurthe-et-Moselle (54)")

    page.get_by_role("button", name="Appliquer").click()
    expect(page).to_have_title("Résultats")
    assert site.submissions == [{"q": [""], "territoire": ["departement-54"]}]


def test_requests_are_debounced_cached_and_stale_ones_aborted(site, page: Page):
    page.clock.install()  # the debounce timer runs only when the test says so
    page.goto(f"{ORIGIN}{FORM_PATH}")
    combobox = field(page)
    aborted: list[str] = []
    page.on(
        "requestfailed",
        lambda request: SUGGEST_PATH in request.url and aborted.append(request.url),
    )

    site.hold_queries.add("meu")
    combobox.press_sequentially("meu")
    page.clock.run_for(200)
    wait_until(page, lambda: site.queries == ["meu"])  # one request for three keys
    assert site.queries == ["meu"]

    combobox.press("r")  # "meu" is still unanswered: its request is aborted
    page.clock.run_for(200)
    expect(listbox(page).get_by_role("option")).to_have_count(2)
    assert site.queries == ["meu", "meur"]
    wait_until(page, lambda: len(aborted) == 1)
    assert aborted[0].endswith("q=meu")

    combobox.press("Backspace")
    page.clock.run_for(200)
    wait_until(page, lambda: len(site.queries) == 3)  # "meu" again: it was never answered
    combobox.press("r")
    page.clock.run_for(200)
    expect(listbox(page).get_by_role("option")).to_have_count(2)
    assert site.queries == ["meu", "meur", "meu"]  # "meur" came from the cache
    wait_until(page, lambda: len(aborted) == 2)  # and the pending "meu" was aborted

    combobox.fill("m")  # below two characters: no request, the list closes
    page.clock.run_for(200)
    expect(listbox(page)).to_be_hidden()
    assert site.queries == ["meu", "meur", "meu"]


def test_without_javascript_the_field_is_a_plain_input(browser):
    context = browser.new_context(java_script_enabled=False)
    try:
        site = FakeSite()
        site.install(context)
        page = context.new_page()
        page.goto(f"{ORIGIN}{FORM_PATH}")

        textbox = page.get_by_role("textbox", name="Territoire", exact=True)
        expect(textbox).to_have_attribute("name", "territoire")
        expect(page.get_by_role("combobox")).to_have_count(0)
        expect(page.locator("input[type=hidden]")).to_have_count(0)

        textbox.fill("Meurthe-et-Moselle")
        textbox.press("Enter")
        expect(page).to_have_title("Résultats")
        assert site.submissions == [{"q": [""], "territoire": ["Meurthe-et-Moselle"]}]
        assert site.queries == []
    finally:
        context.close()
