"""The English pages in a real browser: accessible, and the switcher goes back and forth."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_journeys import blocking_violations

pytestmark = pytest.mark.django_db(transaction=True)

ENGLISH_PAGES = [
    "/en/",
    "/en/acteurs/",
    "/en/territoires/commune-54528-toul/",
    "/en/collectivites/meurthe-et-moselle/",
    "/en/contacts/?q=Toul",
]


def test_english_pages_have_no_serious_accessibility_violation(seeded_live, page: Page):
    failures: dict[str, list[str]] = {}
    for path in ENGLISH_PAGES:
        response = page.goto(f"{seeded_live}{path}")
        assert response is not None and response.status == 200, (
            f"{path}: {response and response.status}"
        )
        expect(page.locator("html")).to_have_attribute("lang", "en")
        violations = blocking_violations(page)
        if violations:
            failures[path] = violations
    report = "\n".join(f"{path}\n  " + "\n  ".join(lines) for path, lines in failures.items())
    assert failures == {}, f"axe-core, serious or critical violations:\n{report}"


def test_language_switcher_goes_to_the_same_page_in_the_other_language(seeded_live, page: Page):
    page.goto(f"{seeded_live}/territoires/commune-54528-toul/")
    french_heading = page.get_by_role("heading", level=2, name="Collectivités qui agissent ici")
    expect(french_heading).to_be_visible()

    page.get_by_role("navigation", name="Langue").get_by_role("link", name="English").click()

    expect(page).to_have_url(re.compile(r"/en/territoires/commune-54528-toul/$"))
    expect(page.get_by_role("heading", level=1, name="Toul")).to_be_visible()
    english_heading = page.get_by_role("heading", level=2, name="Local authorities active here")
    expect(english_heading).to_be_visible()

    page.get_by_role("navigation", name="Language").get_by_role("link", name="Français").click()

    expect(page).to_have_url(re.compile(r"/territoires/commune-54528-toul/$"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")


def test_territory_suggestions_speak_english_on_english_pages(seeded_live, page: Page):
    page.goto(f"{seeded_live}/en/acteurs/")
    field = page.locator("#id_territoire")
    expect(field).to_have_accessible_name("Territory")

    field.fill("Toul")

    expect(page.get_by_role("status")).to_have_text(
        re.compile(r"^\d+ suggestions?, use the up and down arrows$")
    )
    expect(page.get_by_role("listbox").get_by_role("option").first).to_contain_text("Toul")
