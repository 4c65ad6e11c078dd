"""Budgets compared: figures per inhabitant and split, the notes, the comparison page and the
block of each collectivité's page (territories/budgets.py, BudgetComparisonView)."""

import re
from decimal import Decimal

import pytest
from django.utils import translation

from territories.budgets import BudgetFacts, evolution, group_notes
from territories.models import Budget, Collectivite, PublicationStatus, Territory
from tests.factories import BudgetFactory, BudgetLineFactory, CollectiviteFactory, territory
from tests.html import report, validate_html

pytestmark = pytest.mark.django_db

URL = "/collectivites/budgets/"


@pytest.fixture(autouse=True)
def _french():
    """The notes are written in the active language: French, whatever a test before did."""
    with translation.override("fr"):
        yield


def with_population(short_slug: str, population: int | None) -> Territory:
    """A territory of the test geography with a round population, for exact figures."""
    place = territory(short_slug)
    Territory.objects.filter(pk=place.pk).update(population=population)
    place.refresh_from_db()
    return place


def budget_with(collectivite=None, year=2022, label="", lines=(), **kwargs) -> Budget:
    """A published budget with `lines` as (section, amount, approximate)."""
    budget = BudgetFactory(
        year=year, label=label, **({"collectivite": collectivite} if collectivite else {}), **kwargs
    )
    for section, amount, approximate in lines:
        BudgetLineFactory(budget=budget, section=section, amount=amount, approximate=approximate)
    return Budget.objects.for_comparison().get(pk=budget.pk)


def rows(response) -> list[tuple[str, int | None]]:
    """(collectivité, year) of every row of the comparison page, in order."""
    return [
        (member.collectivite.name, budget.year)
        for group in response.context["groups"]
        for member in group.members
        for budget in member.budgets
    ]


# --- Figures ----------------------------------------------------------------------------------


def test_budget_per_inhabitant_and_split_are_exact():
    region = CollectiviteFactory(kind="region", territory=with_population("region-44", 5_000_000))
    budget = budget_with(
        region,
        lines=[("fonctionnement", 5_300_000, False), ("investissement", 1_500_000, False)],
    )

    assert budget.total == 6_800_000
    assert budget.total_is_approximate is False
    assert budget.population == 5_000_000
    assert budget.per_inhabitant == Decimal("1.36")
    assert budget.operating_share == Decimal("77.9")
    assert budget.investment_share == Decimal("22.1")
    assert budget.unspecified_share is None
    assert budget.section_columns() == [(5_300_000, False), (1_500_000, False), None]


def test_budget_total_is_approximate_when_one_line_is():
    departement = CollectiviteFactory(territory=with_population("departement-54", 700_000))
    budget = budget_with(
        departement,
        lines=[
            ("fonctionnement", 200_000, True),
            ("fonctionnement", 19_380, False),
            ("investissement", 61_000, False),
            ("", 9_620, False),
        ],
    )

    assert budget.total == 290_000
    assert budget.total_is_approximate is True
    assert budget.per_inhabitant == Decimal("0.41")
    assert budget.operating_share == Decimal("75.6")
    assert budget.investment_share == Decimal("21.0")
    assert budget.unspecified_share == Decimal("3.3")
    assert budget.section_columns() == [(219_380, True), (61_000, False), (9_620, False)]


def test_budget_split_is_unknown_when_the_source_gives_one_section():
    collectivite = CollectiviteFactory(territory=with_population("departement-54", 100_000))
    budget = budget_with(collectivite, lines=[("fonctionnement", 25_000, True)])

    assert budget.per_inhabitant == Decimal("0.25")
    assert (budget.operating_share, budget.investment_share) == (None, None)


def test_budget_per_inhabitant_is_none_without_amount_or_population():
    no_population = CollectiviteFactory(territory=with_population("departement-57", None))

    assert budget_with(no_population, lines=[("", 5_000, False)]).per_inhabitant is None
    assert budget_with(lines=[]).per_inhabitant is None


# --- Notes ------------------------------------------------------------------------------------

BOTH = frozenset({"fonctionnement", "investissement"})


def test_group_notes_say_when_years_differ():
    facts = [
        BudgetFacts(year=2022, label="Budget ESS", sections=BOTH),
        BudgetFacts(year=2020, label="Budget ESS", sections=BOTH),
        BudgetFacts(year=2025, label="Budget ESS", sections=BOTH),
        BudgetFacts(year=None, label="Budget ESS", sections=BOTH),
    ]

    assert group_notes(facts) == [
        "Les années diffèrent : 2020, 2022, 2025.",
        "1 budget sans année précisée par la source.",
    ]


def test_group_notes_say_when_perimeters_differ_or_are_not_given():
    facts = [
        BudgetFacts(year=2022, label="Budget ESS 2022", sections=BOTH),
        BudgetFacts(year=2022, label="CCAS", sections=BOTH),
        BudgetFacts(year=2022, label="", sections=BOTH),
        BudgetFacts(year=2022, label="", has_note=True, sections=BOTH),
    ]

    assert group_notes(facts) == [
        "Les périmètres diffèrent : chaque source donne le sien (voir les intitulés), "
        "les montants ne couvrent pas les mêmes dépenses.",
        "1 budget dont la source ne précise pas le périmètre.",
    ]


def test_group_notes_count_approximate_partial_and_empty_budgets():
    facts = [
        BudgetFacts(year=2022, label="Budget", sections=frozenset({"fonctionnement"})),
        BudgetFacts(year=2022, label="Budget", sections=BOTH, approximate=True),
        BudgetFacts(year=2022, label="Budget", sections=frozenset({""}), approximate=True),
        BudgetFacts(year=2022, label="Budget"),
    ]

    assert group_notes(facts) == [
        "2 budgets aux montants approximatifs (« environ »).",
        "2 budgets sans le fonctionnement ou sans l'investissement : "
        "leur répartition n'est pas connue.",
        "1 budget sans montant donné par la source.",
    ]


def test_group_notes_are_empty_when_budgets_compare_alike():
    facts = [BudgetFacts(year=2024, label="Budget ESS", sections=BOTH) for _ in range(3)]

    assert group_notes(facts) == []


def test_budget_facts_read_from_the_query_match_the_budget():
    budget = budget_with(
        label="Budget", lines=[("fonctionnement", 1_000, True), ("", 50, False)], note="Hors RH"
    )
    BudgetLineFactory(budget=budget, section="investissement", amount=None)
    (row,) = Budget.objects.filter(pk=budget.pk).comparison_facts()

    assert row[0] == "departement"
    assert BudgetFacts.from_row(row[1:]) == BudgetFacts.of(budget)
    assert BudgetFacts.of(budget) == BudgetFacts(
        year=2022,
        label="Budget",
        has_note=True,
        sections=frozenset({"fonctionnement", ""}),
        approximate=True,
    )


def test_evolution_gives_the_change_since_the_previous_dated_budget():
    collectivite = CollectiviteFactory()
    budgets = [
        budget_with(collectivite, 2020, "Budget ESS", [("fonctionnement", 40_000, False)]),
        budget_with(collectivite, 2022, "Budget ESS", [("fonctionnement", 50_000, False)]),
        budget_with(collectivite, 2024, "CCAS", [("fonctionnement", 45_000, False)]),
        budget_with(collectivite, None, "Budget ESS", [("fonctionnement", 10_000, False)]),
    ]

    result = evolution(collectivite, budgets)

    assert [
        (p.budget.year, p.change, p.previous_year, p.same_perimeter) for p in result.points
    ] == [
        (2020, None, None, True),
        (2022, Decimal("25.0"), 2020, True),
        (2024, Decimal("-10.0"), 2022, False),
    ]
    assert [p.share for p in result.points] == [80.0, 100.0, 90.0]
    assert evolution(collectivite, budgets[:1] + budgets[3:]) is None


# --- The comparison page ----------------------------------------------------------------------


def test_comparison_page_groups_by_type_and_orders_by_name_never_by_amount(client):
    big = CollectiviteFactory(name="Zeta département", kind="departement")
    small = CollectiviteFactory(name="Alpha département", kind="departement")
    region = CollectiviteFactory(
        name="Région test", kind="region", territory=territory("region-44")
    )
    budget_with(big, 2024, lines=[("fonctionnement", 9_000_000, False)])
    budget_with(small, 2024, lines=[("fonctionnement", 1_000, False)])
    budget_with(region, 2024, lines=[("fonctionnement", 5_000, False)])

    response = client.get(URL)

    assert response.status_code == 200
    assert [(g.kind, g.budget_count) for g in response.context["groups"]] == [
        ("region", 1),
        ("departement", 2),
    ]
    assert rows(response) == [
        ("Région test", 2024),
        ("Alpha département", 2024),
        ("Zeta département", 2024),
    ]


def test_comparison_page_keeps_a_collectivites_years_together_oldest_first(client):
    first = CollectiviteFactory(name="Alpha")
    second = CollectiviteFactory(name="Beta")
    budgets = [
        (second, 2021, 30_000),
        (first, 2024, 50_000),
        (first, None, 1),
        (first, 2020, 40_000),
    ]
    for collectivite, year, amount in budgets:
        sections = [("fonctionnement", amount, False), ("investissement", amount, False)]
        budget_with(collectivite, year, "Budget ESS", sections)

    response = client.get(URL)

    assert rows(response) == [("Alpha", 2020), ("Alpha", 2024), ("Alpha", None), ("Beta", 2021)]
    (group,) = response.context["groups"]
    assert group.notes == [
        "Les années diffèrent : 2020, 2021, 2024.",
        "1 budget sans année précisée par la source.",
    ]
    html = response.content.decode()
    assert '<figure class="chart" id="evolution-alpha">' in html
    assert "+25,0\u00a0% depuis 2020" in html.replace("&nbsp;", "\u00a0")
    assert 'id="evolution-beta"' not in html


def test_comparison_page_shows_exact_figures_and_the_population_used(client):
    collectivite = CollectiviteFactory(
        name="Département test", territory=with_population("departement-54", 700_000)
    )
    budget_with(
        collectivite,
        2025,
        "Budget consacré à l'ESS",
        [("fonctionnement", 219_380, False), ("investissement", 61_000, True)],
    )

    html = cells(client.get(URL).content.decode())

    assert '<td class="num">219\u00a0380\u00a0€</td>' in html
    assert '<td class="num">environ 61\u00a0000\u00a0€</td>' in html
    assert '<td class="num">environ <strong>280\u00a0380\u00a0€</strong></td>' in html
    assert '<td class="num">700\u00a0000</td>' in html
    assert '<td class="num">environ 0,40\u00a0€</td>' in html
    assert "<td>fonctionnement 78,2\u00a0%, investissement 21,8\u00a0%</td>" in html
    assert "population municipale INSEE" in html


def test_comparison_page_says_what_the_source_does_not_give(client):
    collectivite = CollectiviteFactory(territory=with_population("departement-54", None))
    budget_with(collectivite, None, "", lines=[])

    html = client.get(URL).content.decode()

    assert "année non précisée" in html
    assert "périmètre non précisé" in html
    assert "aucun montant" in html
    assert "1 budget sans montant donné par la source." in html
    assert '<span class="unknown">inconnue</span>' in html


def test_comparison_page_never_shows_drafts(client):
    shown = CollectiviteFactory(name="Publiée")
    budget_with(shown, 2024, "Budget publié")
    budget_with(shown, 2023, "Budget brouillon", status=PublicationStatus.DRAFT)
    draft = CollectiviteFactory(name="Collectivité brouillon", status=PublicationStatus.DRAFT)
    budget_with(draft, 2024, "Budget d'un brouillon")

    response = client.get(URL)

    html = response.content.decode()
    assert rows(response) == [("Publiée", 2024)]
    assert response.context["groups"][0].budget_count == 1
    assert "brouillon" not in html.lower()


def test_comparison_page_filters_by_type_and_territory(client):
    CollectiviteFactory(name="Toul test", kind="commune", territory=territory("commune-54528"))
    CollectiviteFactory(name="Metz test", kind="commune", territory=territory("commune-57463"))
    CollectiviteFactory(name="CD54 test", kind="departement")
    for collectivite in Collectivite.objects.all():
        budget_with(collectivite, 2024)

    by_type = client.get(URL, {"type": "commune"})
    by_territory = client.get(URL, {"territoire": "departement-54"})

    assert rows(by_type) == [("Metz test", 2024), ("Toul test", 2024)]
    assert rows(by_territory) == [("CD54 test", 2024), ("Toul test", 2024)]
    # The notes count the budgets of the filtered comparison only.
    assert [g.budget_count for g in by_territory.context["groups"]] == [1, 1]


@pytest.mark.parametrize(
    "params", [{"type": "inconnu"}, {"territoire": "nowhere-0"}, {"page": "abc"}]
)
def test_comparison_page_answers_400_or_404_to_bad_input(client, params):
    response = client.get(URL, params)

    assert response.status_code == (404 if "page" in params else 400)


def test_comparison_page_bad_filter_says_why(client):
    response = client.get(URL, {"type": "inconnu"})

    assert response.status_code == 400
    assert "Certains filtres ne sont pas valides" in response.content.decode()
    assert response.context["groups"] == []


@pytest.mark.parametrize("count", [1, 3])
def test_comparison_page_query_count_is_constant(client, django_assert_num_queries, count):
    collectivite = CollectiviteFactory()
    for year in range(2020, 2020 + count):
        budget = BudgetFactory(collectivite=collectivite, year=year)
        BudgetLineFactory(budget=budget)
        BudgetLineFactory(budget=BudgetFactory(year=year))

    # The version, the count, the collectivités, their budgets, the lines, the notes' facts.
    with django_assert_num_queries(6):
        response = client.get(URL)

    assert response.status_code == 200
    assert len(rows(response)) == 2 * count


def test_collectivites_list_links_to_the_comparison(client):
    html = client.get("/collectivites/").content.decode()

    assert f'<a href="{URL}">Comparer les budgets de l\'ESS des collectivités</a>' in html


# --- On each collectivité's page --------------------------------------------------------------


def cells(html: str) -> str:
    """The comparison's cells without what lays them out as labelled cards on a phone (each
    cell's column as `data-label`, its `budget-…` class), to read their figures."""
    html = re.sub(r' data-label="[^"]*"', "", html.replace("&nbsp;", "\u00a0"))
    html = re.sub(
        r'(class="[^"]*?) ?budget-(?:year|scope|section|total|population|per-inhabitant|split)"',
        r'\1"',
        html,
    )
    return html.replace(' class=""', "")


def block(response) -> str:
    html = cells(response.content.decode())
    start = html.index('<div class="budget-comparison-summary">')
    return html[start : html.index("</section>", start)]


def test_collectivite_page_shows_its_budget_beside_the_same_type_first(client):
    here = CollectiviteFactory(name="Zeta", territory=with_population("departement-54", 700_000))
    peer = CollectiviteFactory(name="Alpha", territory=with_population("departement-57", 1_000_000))
    CollectiviteFactory(name="Une région", kind="region", territory=territory("region-44"))
    budget_with(here, 2025, "Budget ESS", [("fonctionnement", 70_000, False)])
    budget_with(
        peer,
        2022,
        "Budget ESS 2022",
        [("fonctionnement", 5_000, False), ("investissement", 5_000, False)],
    )
    budget_with(Collectivite.objects.get(name="Une région"), 2025)

    response = client.get(here.get_absolute_url())

    comparison = response.context["budget_comparison"]
    assert [(b.collectivite.name, b.year) for b in comparison.rows] == [
        ("Zeta", 2025),
        ("Alpha", 2022),
    ]
    assert comparison.more is False
    html = block(response)
    assert "<strong>Zeta</strong>" in html
    assert f'<a href="{peer.get_absolute_url()}">Alpha</a>' in html
    assert '<td class="num">0,10\u00a0€</td>' in html
    assert '<td class="num">0,01\u00a0€</td>' in html
    assert "<td>fonctionnement 50,0\u00a0%, investissement 50,0\u00a0%</td>" in html
    assert "Les années diffèrent : 2022, 2025." in html
    assert f'<a href="{URL}?type=departement">' in html
    assert "Une région" not in html


def test_collectivite_page_without_a_budget_still_links_to_the_comparison(client):
    collectivite = CollectiviteFactory()

    html = block(client.get(collectivite.get_absolute_url()))

    assert "Aucun budget publié à comparer pour cette collectivité." in html
    assert f'<a href="{URL}?type=departement">' in html


def test_collectivite_page_shows_a_bounded_number_of_peers(client, settings):
    here = CollectiviteFactory(name="Zeta")
    budget_with(here, 2025)
    for index in range(12):
        budget_with(CollectiviteFactory(name=f"Pair {index:02}"), 2025)

    comparison = client.get(here.get_absolute_url()).context["budget_comparison"]

    assert [b.collectivite.name for b in comparison.rows][:2] == ["Zeta", "Pair 00"]
    assert len(comparison.rows) == 10
    assert comparison.more is True


# --- In English ---------------------------------------------------------------------------------


def test_english_comparison_is_translated_valid_and_keeps_french_content_marked(client, settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0
    here = CollectiviteFactory(name="Alpha", territory=with_population("departement-54", 700_000))
    budget_with(here, 2020, "Budget ESS", [("fonctionnement", 40_000, False)])
    budget_with(
        here,
        2022,
        "Budget consacré à l'ESS",
        [("fonctionnement", 35_000, True), ("investissement", 15_000, False)],
    )
    budget_with(CollectiviteFactory(name="Beta"), None, "", [("", 1_000, False)])

    page = f"/en{here.get_absolute_url()}"  # before the English requests activate English

    pages = {url: client.get(url) for url in (f"/en{URL}", page)}

    assert {url: r.status_code for url, r in pages.items()} == dict.fromkeys(pages, 200)
    html = {url: r.content.decode() for url, r in pages.items()}
    comparison = cells(html[f"/en{URL}"])
    assert "<h1>SSE budgets compared</h1>" in comparison
    assert "The years differ: 2020, 2022." in comparison
    assert "1 budget whose source gives no year." in comparison
    assert '<td class="num">about €0.07</td>' in comparison
    assert "<td>operating 70.0%, investment 30.0%</td>" in comparison
    assert "+25.0% since 2020" in comparison
    assert '<span lang="fr">Budget consacré à l&#39;ESS</span>' in comparison
    assert "Compare the budgets of the local authorities of type" in html[page]
    errors = validate_html(html)
    assert errors == {url: [] for url in html}, report(errors)
