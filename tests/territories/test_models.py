import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from territories.models import Contact, Territory
from tests.factories import (
    BudgetFactory,
    BudgetLineFactory,
    CollectiviteFactory,
    SchemeFactory,
    territory,
)

pytestmark = pytest.mark.django_db


def short_slugs(queryset):
    return [t.short_slug for t in queryset]


def test_containing_commune_lists_every_level_most_local_first(territory):
    toul = territory("commune-54528")

    result = short_slugs(Territory.objects.containing(toul))

    assert result == [
        "commune-54528",
        "epci-200070563",
        "groupement-pays-tdl",
        "groupement-cd54-terres-de-lorraine",
        "departement-54",
        "region-44",
    ]


def test_inside_departement_holds_its_communes_and_epci_but_not_other_departements(territory):
    inside = Territory.objects.inside(territory("departement-54"))

    assert inside.filter(short_slug="commune-54528").exists()
    assert inside.filter(short_slug="epci-245400676").exists()
    assert not inside.filter(short_slug="commune-57463").exists()
    assert not inside.filter(short_slug="region-44").exists()


def test_restricted_grouping_keeps_only_its_departement(territory):
    # CD54's Lunévillois includes the CA de Saint-Dié-des-Vosges, but only its 54 communes.
    lunevillois = territory("groupement-cd54-lunevillois")

    departements = set(
        Territory.objects.inside(lunevillois)
        .filter(kind="commune")
        .values_list("departement_code", flat=True)
    )

    assert departements == {"54"}


def test_by_slug_accepts_canonical_and_short_forms(territory):
    canonical = Territory.objects.by_slug("departement-54-meurthe-et-moselle").get()
    short = Territory.objects.by_slug("departement-54").get()

    assert canonical == short
    assert canonical.slug == "departement-54-meurthe-et-moselle"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Toul", ["Toul"]),
        ("luneville", ["Lunéville"]),
        ("LUNÉVILLE", ["Lunéville"]),
        ("54528", ["Toul"]),
        ("54200 Toul", ["Toul"]),
        # Named exactly so, not also Bayonville (08, 54); else those whose name starts so.
        ("Bayon", ["Bayon"]),
        ("bayonv", ["Bayonville", "Bayonville-sur-Mad"]),
    ],
)
def test_matching_place_finds_communes(query, expected):
    assert [c.name for c in Territory.objects.matching_place(query)] == expected


def test_a_common_beginning_lists_each_commune_once_in_the_order_of_names():
    # Hundreds of communes start with "Saint": the first five, by folded name then code,
    # each once (no join can repeat one; the list's order is the index's).
    expected = list(
        Territory.objects.communes()
        .filter(search_name__startswith="saint")
        .order_by("search_name", "code")
        .values_list("pk", flat=True)[:5]
    )

    found = [c.pk for c in Territory.objects.matching_place("Saint")[:5]]

    assert len(expected) == 5
    assert found == expected
    assert len(set(Territory.objects.matching_place("54200").values_list("pk", flat=True))) == len(
        Territory.objects.matching_place("54200")
    )


def test_matching_place_with_postal_code_lists_every_commune_of_it():
    names = [c.name for c in Territory.objects.matching_place("54200")]

    assert "Toul" in names
    assert "Écrouves" in names
    assert len(names) > 10


@pytest.mark.parametrize("query", ["", "   ", "zzzzzz", "'; DROP TABLE x;--", "<script>"])
def test_matching_place_without_match_is_empty(query):
    assert list(Territory.objects.matching_place(query)) == []


def test_contact_needs_a_name_or_a_title():
    collectivite = CollectiviteFactory()
    contact = Contact(collectivite=collectivite, role="agent", name="", title="")

    with pytest.raises(ValidationError):
        contact.full_clean()
    with pytest.raises(IntegrityError):
        contact.save()


def test_budget_totals_are_computed_per_section():
    budget = BudgetFactory()
    BudgetLineFactory(budget=budget, section="investissement", amount=28000)
    BudgetLineFactory(budget=budget, section="investissement", amount=33000)
    BudgetLineFactory(budget=budget, section="fonctionnement", amount=219380)
    BudgetLineFactory(budget=budget, section="fonctionnement", amount=None)

    assert budget.total == 280380
    assert budget.section_totals() == [
        ("Investissement", 61000, False),
        ("Fonctionnement", 219380, False),
    ]


def test_budget_without_amount_has_no_total():
    budget = BudgetFactory()
    BudgetLineFactory(budget=budget, amount=None)

    assert budget.total is None


def test_scheme_window_cannot_close_before_it_opens():
    scheme = SchemeFactory.build(
        collectivite=CollectiviteFactory(),
        opens_on="2025-03-31",
        closes_on="2025-03-01",
    )

    with pytest.raises(ValidationError) as error:
        scheme.full_clean()
    assert "closes_on" in error.value.message_dict


@pytest.mark.parametrize("slug", ["budgets", "subventions"])
def test_collectivite_slug_reserved_for_a_page_is_refused(slug):
    collectivite = CollectiviteFactory.build(slug=slug, territory=territory("departement-54"))

    with pytest.raises(ValidationError) as error:
        collectivite.full_clean()

    assert error.value.messages == ["Cet identifiant est réservé à une page de l'annuaire."]
