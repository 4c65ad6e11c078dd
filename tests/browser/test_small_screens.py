"""Every page on a phone (390 × 844) and a laptop (1 280 × 900): nothing wider than the
screen, a main menu and list filters that fold away on the phone and work without
JavaScript, wide tables that fit, the widget's code one click from the clipboard.

Each test reloads the geography and the seed data (transactional tests flush the database),
so each covers many pages.
"""

import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from territories.models import Territory
from tests.browser.test_journeys import blocking_violations

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 900}
PASSWORD = "un-mot-de-passe-solide-2026"

# The public pages of every type, in French; each is also checked under /en/. A territory
# page of each kind is added (territory_pages).
PUBLIC_PAGES = [
    "/",
    "/recherche/?q=insertion",
    "/collectivites/",
    "/collectivites/?kind=departement&territoire=region-44",
    "/collectivites/budgets/",
    "/collectivites/budgets/?type=commune",
    "/collectivites/meurthe-et-moselle/",
    "/collectivites/region-grand-est/",
    "/collectivites/hauts-de-seine/",
    "/territoires/",
    "/territoires/?q=Toul",
    "/dispositifs/",
    "/dispositifs/?territoire=departement-54&ouvert=on",
    "/dispositifs/agiren54/",
    "/acteurs/",
    "/acteurs/?territoire=departement-54&tri=-nom",
    "/acteurs/envie/",
    "/evenements/",
    "/evenements/?periode=passe&territoire=departement-54",
    "/evenements/village-des-solutions-de-demain-2025/",
    "/contacts/?q=54200",
    "/donnees/",
    "/mentions-legales/",
    "/accessibilite/",
    "/donnees-personnelles/",
    "/plan-du-site/",
    "/signaler-une-erreur/",
    "/collectivites/subventions/",
    "/integrer/meurthe-et-moselle/code/",
    "/alertes/creer/?liste=acteurs&territoire=departement-54",
]
# Outside the /en/ URLs: French only.
FRENCH_ONLY_PAGES: list[str] = []
# Of each kind, the territory the seed data says most about (else the first of its kind).
TERRITORIES = {
    "commune": "commune-54528",
    "departement": "departement-54",
    "region": "region-44",
    "groupement": "groupement-pays-tdl",
}

WIDTHS = "() => [document.documentElement.scrollWidth, window.innerWidth]"
# The change list's columns whose right edge lies beyond its scroll box (hidden in it).
HIDDEN_COLUMNS = """() => {
    const box = document.querySelector("#changelist .results");
    if (!box) return [];
    const right = box.getBoundingClientRect().right + 1;
    return [...document.querySelectorAll("#result_list thead th")]
        .filter((th) => th.getBoundingClientRect().right > right)
        .map((th) => th.textContent.trim());
}"""


def territory_pages() -> list[str]:
    pages = []
    for kind in Territory.objects.order_by("kind").values_list("kind", flat=True).distinct():
        territories = Territory.objects.filter(kind=kind)
        known = territories.filter(short_slug=TERRITORIES.get(kind, "")).first()
        pages.append((known or territories.order_by("code").first()).get_absolute_url())
    return pages


def admin_change_lists() -> list[str]:
    return sorted(
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    )


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/gestion/")
    page.get_by_label("Nom d’utilisateur").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    expect(page.get_by_role("heading", name="Gestion")).to_be_visible()


def widths(page: Page, base: str, path: str) -> tuple[int, int]:
    """The page's width and the window's, in CSS pixels."""
    response = page.goto(f"{base}{path}")
    assert response is not None and response.status == 200, (
        f"{path}: {response and response.status}"
    )
    return tuple(page.evaluate(WIDTHS))


def test_no_page_is_wider_than_a_phone_or_a_laptop(seeded_live, browser: Browser):
    public = PUBLIC_PAGES + territory_pages()
    paths = public + [f"/en{path}" for path in public] + FRENCH_ONLY_PAGES
    change_lists = admin_change_lists()
    User.objects.create_superuser("admin", "admin@example.org", PASSWORD)
    too_wide: list[str] = []
    hidden_columns: dict[str, list[str]] = {}
    for viewport in (PHONE, LAPTOP):
        context = browser.new_context(viewport=viewport)
        try:
            page = context.new_page()
            for path in paths:
                width, window = widths(page, seeded_live, path)
                if width > window:
                    too_wide.append(f"{path} is {width} px wide in {window} px")
            sign_in(page, seeded_live, "admin")
            for path in change_lists:
                width, window = widths(page, seeded_live, path)
                if width > window:
                    too_wide.append(f"{path} is {width} px wide in {window} px")
                if viewport is LAPTOP and (hidden := page.evaluate(HIDDEN_COLUMNS)):
                    hidden_columns[path] = hidden
        finally:
            context.close()

    assert too_wide == []
    # On a laptop a change list shows every column, its status and "vérifié le" included.
    assert hidden_columns == {}


def test_phone_menu_and_filters_fold_away_and_work_without_javascript(
    seeded_live, browser: Browser
):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{seeded_live}/")
        header = page.get_by_role("banner")
        menu = page.locator("summary", has_text="Menu")
        agenda = header.get_by_role("link", name="Agenda", exact=True)
        expect(menu).to_be_visible()
        expect(agenda).to_be_hidden()
        # The header no longer takes a third of the screen.
        assert header.bounding_box()["height"] < 120

        menu.click()
        expect(agenda).to_be_visible()
        expect(header.get_by_role("searchbox")).to_be_visible()
        expect(header.get_by_role("link", name="English")).to_be_visible()
        agenda.click()

        # The events' filters, behind a button that says how many are set (the period's
        # default, "À venir", is not one of them).
        expect(page).to_have_url(re.compile(r"/evenements/$"))
        page.goto(f"{seeded_live}/evenements/?periode=passe&mois_ess=on&type=&du=")
        toggle = page.locator("summary", has_text="Filtrer")
        expect(toggle).to_have_text("Filtrer (2 actifs)")
        period = page.get_by_label("Période")
        expect(period).to_be_hidden()
        toggle.click()
        expect(period).to_have_value("passe")
        period.select_option("tous")
        page.get_by_label("Mois de l'ESS seulement").uncheck()
        page.get_by_role("button", name="Appliquer").click()
        expect(page).to_have_url(re.compile(r"periode=tous"))
        expect(page.locator("summary", has_text="Filtrer")).to_have_text("Filtrer (1 actif)")
        page.goto(f"{seeded_live}/evenements/?periode=a-venir")
        expect(page.locator("summary", has_text="Filtrer")).to_have_text("Filtrer")

        # A filter to correct shows the filters open.
        page.goto(f"{seeded_live}/evenements/?du=demain")
        expect(page.get_by_label("Du", exact=True)).to_be_visible()

        # On a laptop, no button: the links and the filters are on view.
        page.set_viewport_size(LAPTOP)
        page.goto(f"{seeded_live}/en/acteurs/?territoire=departement-54")
        expect(page.locator("summary", has_text="Menu")).to_be_hidden()
        expect(page.get_by_role("banner").get_by_role("link", name="Events")).to_be_visible()
        expect(page.locator("summary", has_text="Filter")).to_be_hidden()
        expect(page.get_by_role("heading", level=2, name="Filter", exact=True)).to_be_visible()
        expect(page.get_by_label("Keywords")).to_be_visible()
    finally:
        context.close()


def test_phone_menu_closes_with_escape(seeded_live, browser: Browser):
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(f"{seeded_live}/en/")
        menu = page.locator("summary", has_text="Menu")
        menu.click()
        link = page.get_by_role("banner").get_by_role("link", name="Events")
        expect(link).to_be_visible()
        link.focus()
        page.keyboard.press("Escape")
        expect(link).to_be_hidden()
        expect(menu).to_be_focused()
    finally:
        context.close()


def test_changed_pages_have_no_serious_accessibility_violation(seeded_live, browser: Browser):
    paths = [
        "/",
        "/en/",
        "/collectivites/budgets/",
        "/en/collectivites/budgets/",
        "/collectivites/meurthe-et-moselle/",
        "/territoires/commune-54528-toul/",
        "/evenements/?periode=passe&mois_ess=on",
        "/acteurs/?territoire=departement-54",
        "/donnees/",
        "/en/donnees/",
        "/integrer/meurthe-et-moselle/code/",
        "/en/integrer/meurthe-et-moselle/code/",
        "/en/alertes/creer/?liste=acteurs&territoire=departement-54",
        "/territoires/",
        "/territoires/departement-54-meurthe-et-moselle/",
        "/collectivites/hauts-de-seine/",
        "/dispositifs/agiren54/",
        "/collectivites/subventions/",
    ]
    failures: dict[str, list[str]] = {}
    for viewport in (PHONE, LAPTOP):
        context = browser.new_context(viewport=viewport)
        try:
            page = context.new_page()
            for path in paths:
                page.goto(f"{seeded_live}{path}")
                if viewport is PHONE:  # the menu and the filters open
                    page.locator("summary.menu-toggle").click()
                    if page.locator("summary.filters-toggle").count():
                        page.locator("summary.filters-toggle").click()
                if violations := blocking_violations(page):
                    failures[f"{viewport['width']} px {path}"] = violations
        finally:
            context.close()
    report = "\n".join(f"{page}\n  " + "\n  ".join(lines) for page, lines in failures.items())
    assert failures == {}, f"axe-core, serious or critical violations:\n{report}"


def test_budgets_compared_as_labelled_cards_on_a_phone(seeded_live, browser: Browser):
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(f"{seeded_live}/collectivites/budgets/")
        table = page.get_by_role("table", name=re.compile(r"^Budget ESS, type Région"))
        region = table.get_by_role("rowheader", name="Région Grand Est")
        expect(region).to_be_visible()
        # Still a table for screen readers, each figure under its column's header.
        total = table.get_by_role("cell").filter(has_text="6 800 000")
        expect(total).to_have_attribute("data-label", "Total")
        label = total.evaluate("cell => getComputedStyle(cell, '::before').content")
        assert "Total" in label
        # Cards: the figures sit side by side, inside the screen.
        box = total.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    finally:
        context.close()


def test_widget_code_copies_with_a_button_or_selects_without_clipboard(
    seeded_live, browser: Browser
):
    code_page = f"{seeded_live}/integrer/meurthe-et-moselle/code/"
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    try:
        page = context.new_page()
        page.goto(code_page)
        buttons = page.get_by_role("button", name="Copier le code")
        expect(buttons).to_have_count(2)
        buttons.first.click()
        expect(page.get_by_role("status")).to_have_text("Code copié dans le presse-papiers.")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith('<iframe src="') and "/integrer/meurthe-et-moselle/" in copied
        assert copied == page.locator("pre.code").first.text_content()
    finally:
        context.close()

    # Without the clipboard API, the button selects the code for Ctrl+C.
    context = browser.new_context()
    context.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    try:
        page = context.new_page()
        page.goto(code_page)
        page.get_by_role("button", name="Copier le code").last.click()
        expect(page.get_by_role("status")).to_contain_text("Code sélectionné")
        selected = page.evaluate("String(window.getSelection())")
        assert 'class="essdir-card"' in selected
    finally:
        context.close()

    # Without JavaScript, the code is there to select by hand, and no dead button.
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(code_page)
        expect(page.locator("pre.code")).to_have_count(2)
        expect(page.get_by_role("button", name="Copier le code")).to_have_count(0)
    finally:
        context.close()

    # The data page links the API's documentation.
    page = browser.new_page()
    try:
        page.goto(f"{seeded_live}/donnees/")
        page.get_by_role("link", name="/api/docs/").click()
        expect(page).to_have_url(re.compile(r"/api/docs/$"))
    finally:
        page.close()
