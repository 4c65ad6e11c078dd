"""The widget framed by a collectivité's own site: another origin (another host and port)
serves a page with an <iframe> of the widget from the live server."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_journeys import blocking_violations

pytestmark = pytest.mark.django_db(transaction=True)

HEADING = "L'ESS avec Département de Meurthe-et-Moselle"


@pytest.fixture
def other_site():
    """A tiny web site on 127.0.0.1 (the live server is on localhost, another port):
    `serve(path, html)` publishes a page and returns its URL."""
    pages: dict[str, bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):
            pass  # quiet tests

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def serve(path: str, html: str) -> str:
        pages[path] = html.encode()
        return f"http://127.0.0.1:{server.server_port}{path}"

    yield serve
    server.shutdown()
    server.server_close()
    thread.join()


def host_page(*frames: tuple[str, str]) -> str:
    iframes = "".join(
        f'<iframe src="{src}" title="{title}" width="400" height="640"></iframe>'
        for src, title in frames
    )
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        "<title>Site d'une collectivité</title></head>"
        f"<body><h1>L'ESS chez nous</h1>{iframes}</body></html>"
    )


def test_widget_framed_by_another_site_renders_searches_and_opens_essdir(
    seeded_live, page: Page, other_site
):
    widget = f"{seeded_live}/integrer/meurthe-et-moselle/"
    # A page that is not the widget, framed beside it, must stay blocked.
    other_page = f"{seeded_live}/collectivites/meurthe-et-moselle/"
    url = other_site("/ess.html", host_page((widget, "Annuaire ESS"), (other_page, "Fiche")))
    assert not url.startswith(seeded_live)

    page.goto(url)

    frame = page.frame_locator("iframe[title='Annuaire ESS']")
    expect(frame.get_by_role("heading", level=1)).to_have_text(HEADING)
    expect(frame.get_by_role("heading", level=2, name="Contacts ESS")).to_be_visible()
    expect(frame.get_by_text("Catherine Mengel")).to_be_visible()
    blocked = page.frame_locator("iframe[title='Fiche']")
    expect(blocked.get_by_role("heading", level=1)).to_have_count(0)
    assert [f.url for f in page.frames if f.url.startswith(seeded_live)] == [widget]

    # The search stays in the frame…
    field = frame.get_by_label("Rechercher dans l'annuaire")
    field.fill("insertion")
    field.press("Enter")
    expect(frame.get_by_role("status")).to_contain_text("pour « insertion » autour de")
    expect(page).to_have_url(url)

    # …and a link leaves it: essdir opens in the whole window.
    frame.get_by_role("link", name="Tous les résultats pour « insertion » sur essdir").click()
    expect(page).to_have_url(f"{seeded_live}/recherche/?q=insertion&territoire=departement-54")
    expect(page.get_by_role("heading", level=1)).to_have_text("Rechercher dans l'annuaire")


def test_widget_link_opens_the_essdir_page_in_the_window(seeded_live, page: Page, other_site):
    widget = f"{seeded_live}/integrer/territoire/commune-54528-toul/"
    page.goto(other_site("/toul.html", host_page((widget, "Annuaire ESS de Toul"))))

    frame = page.frame_locator("iframe")
    expect(frame.get_by_role("heading", level=1)).to_have_text("L'ESS à Toul")
    frame.get_by_role("link", name="Tous les contacts sur essdir").click()

    expect(page).to_have_url(f"{seeded_live}/contacts/?commune=commune-54528")
    expect(
        page.get_by_role("heading", level=2, name="Votre contact ESS pour Toul (54)")
    ).to_be_visible()


def test_widget_pages_are_accessible(seeded_live, page: Page):
    paths = [
        "/integrer/meurthe-et-moselle/",
        "/integrer/meurthe-et-moselle/?q=insertion",
        "/integrer/territoire/commune-54528-toul/",
        "/integrer/meurthe-et-moselle/code/",
    ]
    violations = {}
    for path in paths:
        page.goto(f"{seeded_live}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        violations[path] = blocking_violations(page)

    assert violations == {path: [] for path in paths}
