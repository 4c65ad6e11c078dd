"""What a visitor does with a real browser: find a contact, browse, fill a form.

Each test reloads the geography and the seed data (transactional tests flush the database),
so there are few tests, each covering a whole journey.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.django_db(transaction=True)

FINDER_LABEL = "Code postal, commune ou code INSEE"

# One URL per page type.
PAGES = [
    "/",
    "/collectivites/",
    "/collectivites/budgets/",
    "/collectivites/meurthe-et-moselle/",
    # Who to contact first, a card without coordinates, events without a full date.
    "/collectivites/hauts-de-seine/",
    "/territoires/commune-54528-toul/",
    # The panorama's charts (SVG) and its table beside the département's, région's, France's.
    "/territoires/departement-54-meurthe-et-moselle/",
    "/dispositifs/",
    "/dispositifs/agiren54/",
    "/contacts/?q=Toul",
    "/acteurs/",
    "/acteurs/envie/",
    "/evenements/",
    "/evenements/village-des-solutions-de-demain-2025/",
    "/recherche/?q=insertion",
    "/acteurs/referencer/",
]
BLOCKING_IMPACTS = ("serious", "critical")


def find_contact(page: Page, query: str) -> None:
    """Type in the home page's finder, found by its label, and submit with Enter."""
    field = page.get_by_label(FINDER_LABEL, exact=True)
    field.fill(query)
    field.press("Enter")


def answer_card(page: Page) -> Locator:
    """The answer on top of the results: the nearest contact who can be reached."""
    return page.locator("section[aria-labelledby='answer-title']")


def contact_groups(page: Page) -> Locator:
    """The h4 headings of the territories under the answer (staff, then elected
    representatives), in reading order."""
    return page.locator("section[aria-labelledby='result-title'] > h4")


def group_contacts(page: Page, heading: str) -> Locator:
    """The contact cards listed under the first group heading starting with `heading`."""
    group = contact_groups(page).filter(has_text=re.compile(rf"^{re.escape(heading)} \("))
    return group.first.locator("xpath=following-sibling::div[contains(@class, 'grid')][1]")


def blocking_violations(page: Page) -> list[str]:
    """axe-core violations of serious or critical impact, as readable lines."""
    response = Axe().run(page).response
    return [
        f"{v['id']} ({v['impact']}): {v['nodes'][0]['target'][0]} "
        f"[{len(v['nodes'])} element(s)] {v['help']}"
        for v in response["violations"]
        if v["impact"] in BLOCKING_IMPACTS
    ]


def test_contact_finder_from_home_lists_contacts_nearest_first(seeded_live, page: Page):
    page.goto(f"{seeded_live}/")
    find_contact(page, "Toul")

    expect(page).to_have_url(re.compile(r"/contacts/\?q=Toul$"))
    expect(
        page.get_by_role("heading", level=2, name="Votre contact ESS pour Toul (54)")
    ).to_be_visible()
    expect(answer_card(page)).to_contain_text("Fant LONGO")
    expect(answer_card(page)).to_contain_text("03 83 15 67 00")
    expect(contact_groups(page)).to_have_text(
        [
            "Territoire Terres de Lorraine (CD54) (Territoire d'action départemental)",
            "Meurthe-et-Moselle (Département)",
            "Grand Est (Région)",
            "Meurthe-et-Moselle (Département)",
            "Grand Est (Région)",
        ]
    )
    expect(group_contacts(page, "Territoire Terres de Lorraine (CD54)")).to_contain_text("CTES")
    expect(group_contacts(page, "Meurthe-et-Moselle")).to_contain_text("Catherine Mengel")
    expect(group_contacts(page, "Grand Est")).to_contain_text("Région Grand Est")


def test_postal_code_of_several_communes_gives_the_contacts_at_once(seeded_live, page: Page):
    page.goto(f"{seeded_live}/")
    find_contact(page, "54200")

    expect(
        page.get_by_role("heading", level=2, name="Contacts ESS pour les 20 communes de « 54200 »")
    ).to_be_visible()
    expect(answer_card(page)).to_contain_text("Fant LONGO")
    expect(
        page.get_by_text("Vouliez-vous dire la commune dont le code INSEE est 54200 ?")
    ).to_be_visible()
    communes = page.get_by_role("region", name="Préciser votre commune")

    communes.get_by_role("link", name="Toul", exact=True).click()

    expect(page).to_have_url(re.compile(r"/contacts/\?commune=commune-54528$"))
    expect(
        page.get_by_role("heading", level=2, name="Votre contact ESS pour Toul (54)")
    ).to_be_visible()


@pytest.mark.parametrize("javascript", [True, False])
def test_actors_filtered_by_typing_a_departement_name(seeded_live, browser, javascript):
    context = browser.new_context(java_script_enabled=javascript)
    try:
        page = context.new_page()
        page.goto(f"{seeded_live}/acteurs/")
        field = page.locator("#id_territoire")
        expect(field).to_have_accessible_name("Territoire")
        field.fill("Meurthe et Moselle")
        if javascript:
            # The suggestions appear; Escape keeps what was typed.
            expect(page.get_by_role("listbox")).to_be_visible()
            field.press("Escape")
        field.press("Enter")

        expect(page.locator(".active-filter")).to_contain_text("Meurthe-et-Moselle (54)")
        expect(page.get_by_role("link", name="Envie", exact=True)).to_be_visible()
        expect(page.get_by_role("link", name="Retirer ce territoire")).to_be_visible()
    finally:
        context.close()


def test_contact_finder_works_without_javascript(seeded_live, browser):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{seeded_live}/")
        find_contact(page, "luneville")

        expect(page).to_have_url(re.compile(r"/contacts/\?q=luneville$"))
        expect(
            page.get_by_role("heading", level=2, name="Votre contact ESS pour Lunéville (54)")
        ).to_be_visible()
        # The CTES of the Lunévillois has no published channel: the answer is the
        # département's central contact, who has one.
        expect(answer_card(page)).to_contain_text("Catherine Mengel")
        expect(contact_groups(page).first).to_have_text(
            "Territoire du Lunévillois (CD54) (Territoire d'action départemental)"
        )
    finally:
        context.close()


def test_every_page_type_has_no_serious_accessibility_violation(seeded_live, page: Page):
    failures: dict[str, list[str]] = {}
    for path in PAGES:
        response = page.goto(f"{seeded_live}{path}")
        assert response is not None and response.status == 200, (
            f"{path}: {response and response.status}"
        )
        violations = blocking_violations(page)
        if violations:
            failures[path] = violations
    report = "\n".join(f"{path}\n  " + "\n  ".join(lines) for path, lines in failures.items())
    assert failures == {}, f"axe-core, serious or critical violations:\n{report}"


def test_tab_first_reaches_the_skip_link(seeded_live, page: Page):
    page.goto(f"{seeded_live}/")
    page.keyboard.press("Tab")

    skip_link = page.get_by_role("link", name="Aller au contenu")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_visible()  # shown on focus, for sighted keyboard users

    page.keyboard.press("Enter")
    expect(page.locator("main#contenu")).to_be_focused()


def test_empty_proposal_keeps_the_page_and_what_was_typed(seeded_live, page: Page):
    page.goto(f"{seeded_live}/acteurs/referencer/")
    page.get_by_label("Nom de la structure").fill("Recyclerie des Côtes de Toul")

    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/acteurs/referencer/")
    ) as posted:
        page.get_by_role("button", name="Envoyer la proposition").click()

    assert posted.value.status == 400
    expect(page).to_have_url(re.compile(r"/acteurs/referencer/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Référencer une structure de l'ESS")
    expect(page.locator(".form-error")).to_contain_text("Le formulaire contient")
    expect(page.locator(".field-error .error-text").first).to_be_visible()
    expect(page.locator(".field-error").filter(has=page.locator("#id_name"))).to_have_count(0)
    expect(page.get_by_label("Nom de la structure")).to_have_value("Recyclerie des Côtes de Toul")
    assert blocking_violations(page) == []


def test_agenda_shows_upcoming_events_and_links_to_past_ones(seeded_live, page: Page):
    page.goto(f"{seeded_live}/evenements/?periode=a-venir")
    upcoming = page.locator("#results-title").inner_text()

    # A bare URL is the upcoming agenda: past and undated events are not counted in it.
    page.goto(f"{seeded_live}/evenements/")
    expect(page.get_by_role("heading", level=1, name="Agenda de l'ESS")).to_be_visible()
    expect(page.locator("#results-title")).to_have_text(upcoming)
    results = page.get_by_role("region", name=re.compile(r"événements? à venir$"))
    expect(results).to_be_visible()
    past_event = re.compile(r"^Village des Solutions de Demain")
    expect(results.get_by_role("link", name=past_event)).to_have_count(0)

    page.get_by_role("link", name="Voir les événements passés").click()

    expect(page).to_have_url(re.compile(r"periode=passe"))
    expect(page.locator("#results-title")).to_contain_text("passés")
    link = page.get_by_role("link", name=past_event)
    expect(link.first).to_be_visible()
    link.first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Village des Solutions de Demain")


DANGLING_DESCRIBEDBY = """() => [...document.querySelectorAll("[aria-describedby]")].flatMap(
    (el) => el.getAttribute("aria-describedby").split(/\\s+/)
        .filter((id) => id && !document.getElementById(id))
        .map((id) => `#${el.id} -> ${id}`))"""


def test_proposal_form_descriptions_point_to_existing_elements(live_server, page: Page):
    # No seed data needed: the form renders (without themes) on an empty database.
    page.goto(f"{live_server.url}/acteurs/referencer/")
    blank = page.evaluate(DANGLING_DESCRIBEDBY)
    page.get_by_role("button", name="Envoyer la proposition").click()
    expect(page.locator(".form-error")).to_be_visible()
    invalid = page.evaluate(DANGLING_DESCRIBEDBY)
    assert (blank, invalid) == ([], [])
