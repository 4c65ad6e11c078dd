import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from actors.derived import refresh_panoramas
from actors.models import ImportRun
from core import publication
from territories.models import GroupingType, PublicationStatus, Territory, TerritoryKind
from tests.factories import (
    ActorFactory,
    BudgetFactory,
    BudgetLineFactory,
    CollectiviteFactory,
    ContactFactory,
    SchemeFactory,
    SchemeFunderFactory,
    territory,
)

pytestmark = pytest.mark.django_db


def test_home_lists_collectivites_and_offers_the_contact_finder(client):
    CollectiviteFactory(name="Département de Test")

    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Trouver mon contact ESS" in html
    assert "Département de Test" in html


def test_draft_collectivite_is_not_public(client):
    draft = CollectiviteFactory(name="Brouillon caché", status="draft")

    assert "Brouillon caché" not in client.get("/collectivites/").content.decode()
    assert client.get(draft.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("count", [1, 3])
def test_collectivite_list_query_count_is_constant(
    client, django_assert_num_queries, settings, count
):
    CollectiviteFactory.create_batch(count)

    # The first view reads the region and département options (memoized by content version).
    with django_assert_num_queries(6):
        response = client.get("/collectivites/")
    settings.CACHE_MIDDLEWARE_SECONDS = 0  # rendered again, not served from the page cache
    with django_assert_num_queries(3):
        again = client.get("/collectivites/")

    assert response.status_code == 200
    assert response.context["paginator"].count == count
    assert again.content == response.content


def test_collectivite_list_filters_by_territory_including_everything_inside(client):
    inside = CollectiviteFactory(name="Ville de Toul test", territory=territory("commune-54528"))
    CollectiviteFactory(name="Moselle test", territory=territory("departement-57"))

    response = client.get("/collectivites/", {"territoire": "departement-54"})

    assert [c.name for c in response.context["object_list"]] == [inside.name]


def test_collectivite_list_filters_by_departement_code(client):
    CollectiviteFactory(name="Ville de Metz test", territory=territory("commune-57463"))
    CollectiviteFactory(name="Toul test", territory=territory("commune-54528"))

    response = client.get("/collectivites/", {"departement": "57"})

    assert [c.name for c in response.context["object_list"]] == ["Ville de Metz test"]


def test_collectivite_list_text_search_ignores_accents_and_case(client):
    CollectiviteFactory(name="Communauté d'agglomération de Haguenau")
    CollectiviteFactory(name="Région Grand Est")

    response = client.get("/collectivites/", {"q": "REGION grand"})

    assert [c.name for c in response.context["object_list"]] == ["Région Grand Est"]


@pytest.mark.parametrize("count", [1, 3])
def test_collectivite_detail_query_count_is_constant(client, django_assert_num_queries, count):
    collectivite = CollectiviteFactory()
    for _ in range(count):
        ContactFactory(collectivite=collectivite)
        scheme = SchemeFactory(collectivite=collectivite)
        budget = BudgetFactory(collectivite=collectivite)
        BudgetLineFactory(budget=budget, scheme=scheme)

    # With its computed panorama beside the source's: the containers, the panorama rows;
    # its budgets beside those of its type: the budgets and their lines; its grants by
    # family and by theme; the record of the SIRENE imports (actors.coverage); who to
    # contact first: the collectivités around its territory and the contacts serving it
    # (its containers, read once for the panorama too); the events whose sources give no
    # full date. Its schemes, those it co-funds and its partner structures, each with
    # their count in one statement (counted_rows()); no themes of those schemes (no card
    # shows them). On PostgreSQL: the collectivité alone, then the page's nine independent
    # lists (partners, schemes, co-funded, containers, contacts, budgets, three lists of
    # events), the collectivités around its territory, the contacts' links, its panorama
    # with the record of the imports, its budgets beside its peers' and its grants in one
    # round trip (core.together.read_together), then the prefetches of all of them and of
    # the collectivité (its sources, key figures, axes and actions), a level a round
    # trip (core.prefetches): 4. SQLite reads the record of the imports whether or not the
    # panorama is shown, and France's panorama apart from the territory's and its
    # containers'.
    with django_assert_num_queries(4 if connection.vendor == "postgresql" else 26):
        response = client.get(collectivite.get_absolute_url())

    assert response.status_code == 200
    assert len(response.context["contacts"]) == count


def test_collectivite_detail_shows_budget_total_computed(client):
    budget = BudgetFactory(year=2025)
    BudgetLineFactory(budget=budget, section="investissement", amount=28000)
    BudgetLineFactory(budget=budget, section="investissement", amount=33000)

    html = client.get(budget.collectivite.get_absolute_url()).content.decode()

    assert "Total investissement" in html
    assert "61\u00a0000\u00a0€" in html


def budget_table(response) -> str:
    text = response.content.decode()
    start = text.index('<div class="budget"')
    return text[start : text.index("</table>", start)]


def test_budget_table_names_a_scheme_only_while_it_is_published(client, settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0
    collectivite = CollectiviteFactory()
    scheme = SchemeFactory(collectivite=collectivite, name="Fonds Tiers-lieux", slug="fonds-tl")
    budget = BudgetFactory(collectivite=collectivite)
    BudgetLineFactory(budget=budget, label="Soutien aux lieux", amount=45000, scheme=scheme)
    link = '<a href="/dispositifs/fonds-tl/">Fonds Tiers-lieux</a>'
    line = "<td>Soutien aux lieux — " + link + "</td>"
    amount = '<td class="num">45\u00a0000\u00a0€</td>'

    published = budget_table(client.get(collectivite.get_absolute_url()))
    publication.set_status(records=[scheme], status=PublicationStatus.DRAFT)
    draft = budget_table(client.get(collectivite.get_absolute_url()))
    publication.set_status(records=[scheme], status=PublicationStatus.PUBLISHED)
    republished = budget_table(client.get(collectivite.get_absolute_url()))

    assert line in published
    assert amount in published
    assert "<td>Soutien aux lieux</td>" in draft
    assert amount in draft
    assert "Fonds Tiers-lieux" not in draft
    assert "/dispositifs/fonds-tl/" not in draft
    assert republished == published


def test_collectivite_detail_says_when_a_contact_has_no_name(client):
    contact = ContactFactory(name="", title="Chargé·e territorial·e (CTES) – Briey", phone="")

    html = client.get(contact.collectivite.get_absolute_url()).content.decode()

    assert "Nom non communiqué par la source" in html
    assert "Chargé·e territorial·e (CTES) – Briey" in html


@pytest.mark.parametrize("count", [1, 3])
def test_scheme_list_query_count_is_constant(client, django_assert_num_queries, settings, count):
    SchemeFactory.create_batch(count)

    # The first view reads the funder and theme options (memoized by content version); the
    # page's keys are sorted apart from its rows (SchemeFilterSet.listing_keys), and carry
    # the count of all (one window count, no count of its own); a card shows no themes.
    with django_assert_num_queries(6):
        response = client.get("/dispositifs/")
    settings.CACHE_MIDDLEWARE_SECONDS = 0  # rendered again, not served from the page cache
    # The options' version, the page's keys with their count, its rows.
    with django_assert_num_queries(3):
        again = client.get("/dispositifs/")

    assert response.context["paginator"].count == count
    assert again.content == response.content


def test_scheme_list_filters_by_funder_and_open_now(client, time_machine):
    time_machine.move_to("2026-03-15")
    region = CollectiviteFactory(name="Région", slug="region")
    funded = SchemeFactory(name="Cofinancé", opens_on="2026-03-01", closes_on="2026-03-31")
    SchemeFunderFactory(scheme=funded, collectivite=region)
    SchemeFactory(name="Fermé", opens_on="2025-03-01", closes_on="2025-03-31")

    by_funder = client.get("/dispositifs/", {"funder": "region"})
    open_now = client.get("/dispositifs/", {"ouvert": "on"})

    assert [s.name for s in by_funder.context["object_list"]] == ["Cofinancé"]
    assert [s.name for s in open_now.context["object_list"]] == ["Cofinancé"]


@pytest.mark.parametrize("count", [1, 3])
def test_scheme_detail_query_count_is_constant(client, django_assert_num_queries, count):
    scheme = SchemeFactory()
    SchemeFunderFactory.create_batch(count, scheme=scheme)
    ContactFactory.create_batch(count, collectivite=scheme.collectivite)

    # How to act on it: its carrier's officers, one query. PostgreSQL receives the
    # scheme's themes, sources, budget lines and the structures' roles together
    # (core.prefetches, one level together): 6.
    with django_assert_num_queries(6 if connection.vendor == "postgresql" else 9):
        response = client.get(scheme.get_absolute_url())

    assert response.status_code == 200
    assert response.context["scheme"].funders.count() == count


def test_territory_short_slug_redirects_to_canonical(client):
    response = client.get("/territoires/departement-54/")

    assert response.status_code == 301
    assert response["Location"] == "/territoires/departement-54-meurthe-et-moselle/"


def grouping(n: int, name: str) -> Territory:
    return Territory.objects.create(
        kind=TerritoryKind.GROUPEMENT,
        subtype=GroupingType.PAYS,
        code=f"essai-{n}",
        name=name,
        slug=f"groupement-essai-{n}",
        short_slug=f"groupement-essai-{n}",
    )


@pytest.mark.parametrize("count", [1, 3])
def test_territory_list_query_count_is_constant(client, django_assert_num_queries, count):
    created = [grouping(n, f"Pays essai {n}") for n in range(count)]

    with django_assert_num_queries(3):
        response = client.get("/territoires/")

    text = response.content.decode()
    assert "Parcourir les territoires" in text
    links = [f'<a href="{t.get_absolute_url()}">{t.name}</a>' for t in created]
    assert [link for link in links if link in text] == links
    assert set(created) <= set(response.context["territories"])


@pytest.mark.parametrize("count", [1, 3])
def test_territory_search_query_count_is_constant(client, django_assert_num_queries, count):
    created = [grouping(n, f"Zorglub {n}") for n in range(count)]

    # The communes of that name among them, exact ones else those starting so: one query.
    with django_assert_num_queries(4):
        response = client.get("/territoires/", {"q": "zorglub"})

    text = response.content.decode()
    assert list(response.context["territories"]) == created
    assert f"{count} territoire{'s' if count > 1 else ''} pour « zorglub »" in text
    links = [f'<a href="{t.get_absolute_url()}">{t.name}</a>' for t in created]
    assert [link for link in links if link in text] == links


@pytest.mark.parametrize("count", [1, 3])
def test_territory_detail_query_count_is_constant(client, django_assert_num_queries, count):
    for _ in range(count):
        collectivite = CollectiviteFactory(territory=territory("departement-54"))
        ContactFactory(collectivite=collectivite)
        ActorFactory()
    refresh_panoramas()
    # A recent import of the SIRENE register: the panorama compares (actors.coverage).
    ImportRun.objects.create(kind=ImportRun.Kind.IMPORT, completed_at=timezone.now())

    # With the panoramas of the territory and its containers, then France's; the record of
    # the SIRENE imports, read once for the panorama and the map; and the
    # support services serving the territory (support/); its schemes and their count in one
    # statement, as its sub-territories and theirs (counted_rows()); its first structures
    # in one (a limited subquery of their keys). 34 more: the first
    # page ever read initialises the versions of its 7 page-cache tags (core.caching) and
    # of the one its territory's id is kept under, in the database's cache table here
    # (add(): 4 queries each, two reads).
    # PostgreSQL receives every read that needs the territory alone together (its lists,
    # its panorama and the record of the imports, the support services, its postal codes,
    # the links serving it and acting there with its schemes: core.together.read_together),
    # then the contacts and territories they name: 4.
    with django_assert_num_queries((4 if connection.vendor == "postgresql" else 16) + 34):
        response = client.get("/territoires/commune-54528-toul/")

    assert len(response.context["collectivites"]) == count
    columns = response.context["panorama"].columns
    assert [(c.name, c.structures) for c in columns] == [
        ("Toul", count),
        ("Meurthe-et-Moselle", count),
        ("Grand Est", count),
        ("France", count),
    ]


def test_territory_detail_shows_containers_and_children(client):
    html = client.get("/territoires/epci-200070563-cc-terres-touloises/").content.decode()

    assert "Meurthe-et-Moselle" in html
    assert "Pays Terres de Lorraine" in html
    assert ">Toul</a>" in html


def test_contact_finder_orders_contacts_most_local_first(client):
    pays = CollectiviteFactory(name="Pays TdL", territory=territory("groupement-pays-tdl"))
    cd54 = CollectiviteFactory(name="CD54", territory=territory("departement-54"))
    region = CollectiviteFactory(name="Région GE", territory=territory("region-44"))
    ContactFactory(collectivite=region, name="Agent Région")
    ContactFactory(collectivite=cd54, name="Contact central", is_central=True)
    ContactFactory(
        collectivite=cd54,
        name="",
        title="CTES Terres de Lorraine",
        territories=[territory("groupement-cd54-terres-de-lorraine")],
    )
    ContactFactory(
        collectivite=cd54,
        name="",
        title="CTES Briey",
        territories=[territory("groupement-cd54-briey")],
    )
    ContactFactory(collectivite=pays, name="Agent Pays")

    response = client.get("/contacts/", {"q": "Toul"})

    groups = response.context["answer"].common.groups
    assert [g["territory"].short_slug for g in groups] == [
        "groupement-pays-tdl",
        "groupement-cd54-terres-de-lorraine",
        "departement-54",
        "region-44",
    ]
    assert [str(c) for g in groups for c in g["contacts"]] == [
        "Agent Pays",
        "CTES Terres de Lorraine",
        "Contact central",
        "Agent Région",
    ]


@pytest.mark.parametrize("count", [1, 3])
def test_contact_finder_query_count_is_constant(client, django_assert_num_queries, count):
    collectivite = CollectiviteFactory(territory=territory("departement-54"))
    ContactFactory.create_batch(count, collectivite=collectivite)
    SchemeFactory.create_batch(count, collectivite=collectivite, summary="En bref.")

    # And the support services serving the commune (templates/support/_services.html); the
    # schemes and their count in one statement. PostgreSQL receives the links serving the
    # commune and acting there together with its schemes and containers, then the
    # contacts, territories and collectivités they name together: 5.
    with django_assert_num_queries(5 if connection.vendor == "postgresql" else 9):
        response = client.get("/contacts/", {"commune": "commune-54528"})

    assert len(response.context["answer"].common.groups[0]["contacts"]) == count
    schemes = response.context["schemes"]
    assert len(schemes) == count
    # A card's columns only (Scheme.objects.cards()): its long texts are never read.
    assert {"description", "eligibility"} <= schemes[0].get_deferred_fields()
    assert response.content.decode().count("<p>En bref.</p>") == count


@pytest.mark.parametrize("count", [1, 3])
def test_territory_page_reads_only_the_cards_of_its_schemes(
    client, django_assert_num_queries, settings, count
):
    settings.CACHE_MIDDLEWARE_SECONDS = 0  # each request renders the page
    collectivite = CollectiviteFactory(territory=territory("departement-54"))
    SchemeFactory.create_batch(count, collectivite=collectivite, summary="En bref.")
    client.get("/territoires/departement-54-meurthe-et-moselle/")  # versions initialised

    # A département's schemes: their keys in their order and their count, then those
    # schemes by key, with a card's columns only: rendering them reads nothing more
    # (PostgreSQL receives the page's other reads with the keys, read_together()).
    with django_assert_num_queries(5 if connection.vendor == "postgresql" else 15):
        response = client.get("/territoires/departement-54-meurthe-et-moselle/")

    schemes = response.context["schemes"]
    assert len(schemes) == count
    assert {"description", "eligibility"} <= schemes[0].get_deferred_fields()
    assert response.content.decode().count("<p>En bref.</p>") == count


def test_contact_finder_lists_communes_when_ambiguous(client):
    response = client.get("/contacts/", {"q": "54200"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Contacts ESS pour les 20 communes de « 54200 »" in html
    assert "Préciser votre commune" in html
    assert "?commune=commune-54528" in html


def test_contact_finder_without_match_says_what_to_type(client):
    response = client.get("/contacts/", {"q": "Atlantide"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Aucune commune ne correspond à « Atlantide »" in html
    assert "code postal à 5 chiffres" in html


def test_contact_finder_accepts_a_name_without_accents(client):
    response = client.get("/contacts/", {"q": "luneville"})

    assert response.context["commune"].name == "Lunéville"


def test_search_groups_results_by_kind_with_counts(client):
    CollectiviteFactory(name="Département solidaire")
    SchemeFactory(name="Fonds solidaire")

    response = client.get("/recherche/", {"q": "solidaire"})

    counts = {group["title"]: group["count"] for group in response.context["groups"]}
    assert counts["Collectivités"] == 1
    assert counts["Dispositifs"] == 1
    assert response.context["total"] >= 2


def test_search_with_a_commune_offers_its_contact_finder(client):
    html = client.get("/recherche/", {"q": "Toul"}).content.decode()

    assert "contacts ESS pour Toul" in html


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/collectivites/?territoire=nowhere-0", 400),
        ("/collectivites/?territoire=%3Cscript%3E", 400),
        ("/collectivites/?kind=zzz", 400),
        ("/collectivites/?departement=999", 400),
        ("/collectivites/?page=abc", 404),
        ("/collectivites/?page=99999999999999999999999", 404),
        ("/collectivites/?q=" + "x" * 300, 400),
        ("/collectivites/?q=%00", 400),
        ("/collectivites/?q=%27%20OR%201%3D1--", 200),
        ("/collectivites/inconnue/", 404),
        ("/dispositifs/?theme=inconnu", 400),
        ("/dispositifs/?funder=%00", 400),
        ("/dispositifs/inconnu/", 404),
        ("/territoires/inconnu/", 404),
        ("/territoires/commune-99999/", 404),
        ("/territoires/%00/", 404),
        ("/territoires/?q=" + "x" * 300, 400),
        ("/contacts/?q=" + "9" * 300, 400),
        ("/contacts/?commune=departement-54", 400),
        ("/contacts/?commune=%3Cb%3E", 400),
        ("/contacts/?q=%00", 400),
        ("/recherche/?q=%00", 400),
        ("/recherche/?q=%27%3B%20DROP%20TABLE", 200),
    ],
)
def test_bad_input_gets_a_clean_4xx_never_a_5xx(client, url, status):
    response = client.get(url)

    assert response.status_code == status
    if status == 400:
        assert b'role="alert"' in response.content


def test_unknown_territory_filter_says_so(client):
    response = client.get("/collectivites/", {"territoire": "nowhere-0"})

    assert "Territoire inconnu : « nowhere-0 »" in response.content.decode()


def test_markup_in_query_is_escaped(client):
    response = client.get("/recherche/", {"q": "<script>alert(1)</script>"})

    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;" in response.content


def test_sitemap_lists_published_pages(client):
    collectivite = CollectiviteFactory()
    CollectiviteFactory(status="draft", slug="brouillon")

    response = client.get(reverse("sitemap"))

    assert collectivite.get_absolute_url().encode() in response.content
    assert b"brouillon" not in response.content
