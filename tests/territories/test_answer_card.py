"""The contact finder answers first: one card naming whom to contact and how, before the
other contacts (staff before elected representatives) and before any INSEE suggestion."""

import html
import re
from collections import defaultdict

import pytest
from django.db import connection

from territories.finder import Channel, answer_for
from territories.models import Collectivite, Contact, PostalCode, Territory, TerritoryInclusion

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_cache(settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def plain(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", fragment))).strip()


def answer_section(response) -> str:
    """The HTML of the answer's section (the first after the form)."""
    page = response.content.decode()
    start = page.index('<section aria-labelledby="answer-title">')
    return page[start : page.index("</section>", start)]


def paragraphs(fragment: str) -> list[str]:
    return [plain(p) for p in re.findall(r"<p[^>]*>(.*?)</p>", fragment, re.S)]


def test_54000_answers_first_with_the_nearest_phone_and_says_why(client, seed, no_cache):
    response = client.get("/contacts/", {"q": "54000"})

    (entry,) = response.context["answer"].cards
    card = entry["card"]
    assert (card.contact.name, card.collectivite.slug) == ("Catherine Mengel", "meurthe-et-moselle")
    assert card.channels == [
        Channel("phone", "03 83 94 55 80"),
        Channel("email", "cmengel@departement54.fr"),
    ]
    assert card.closer.contact.name == "Sabine Vaillant"
    section = answer_section(response)
    assert paragraphs(section)[0] == (
        "Sabine Vaillant (Ville de Nancy) n'a pas de coordonnées publiées ; "
        "le contact le plus proche qui en a est Catherine Mengel."
    )
    page = text_of(response)
    # The phone number comes before any other card, and the INSEE suggestion after it.
    assert page.index("03 83 94 55 80") < page.index("Tous les contacts ESS pour")
    assert page.index("03 83 94 55 80") < page.index("Sabine Vaillant</h3>")


def test_a_ctes_without_coordinates_gives_way_to_the_central_contact(client, seed, no_cache):
    response = client.get("/contacts/", {"q": "Lunéville"})

    (entry,) = response.context["answer"].cards
    card = entry["card"]
    assert card.closer.contact.is_ctes
    assert card.contact.name == "Catherine Mengel"
    assert paragraphs(answer_section(response))[0] == (
        "Le CTES de votre territoire n'a pas de coordonnées publiées ; "
        "le contact le plus proche qui en a est Catherine Mengel."
    )


def test_the_most_local_contact_with_a_phone_needs_no_excuse(client, seed, no_cache):
    response = client.get("/contacts/", {"q": "54200"})

    (entry,) = response.context["answer"].cards
    card = entry["card"]
    assert (card.contact.name, card.channels, card.closer) == (
        "Fant LONGO",
        [Channel("phone", "03 83 15 67 00")],
        None,
    )
    assert len(entry["communes"]) == 20


def test_without_phone_nor_email_the_card_gives_the_postal_address(client, seed, no_cache):
    response = client.get("/contacts/", {"commune": "commune-67180"})

    (entry,) = response.context["answer"].cards
    card = entry["card"]
    assert card.contact.name == "Céline Spitz"
    assert [channel.kind for channel in card.channels] == ["address"]
    assert (
        "Les sources ne donnent ni téléphone ni courriel : écrivez à la Communauté "
        "d'agglomération de Haguenau." in paragraphs(answer_section(response))
    )


def test_without_any_coordinates_the_card_says_so_plainly(client, seed, no_cache):
    response = client.get("/contacts/", {"q": "Nanterre"})

    (entry,) = response.context["answer"].cards
    card = entry["card"]
    assert (card.contact, card.collectivite.slug, card.channels) == (None, "hauts-de-seine", [])
    assert paragraphs(answer_section(response))[-1] == (
        "Les sources ne donnent aucune coordonnée : ni téléphone, ni courriel, ni adresse "
        "postale, ni site web. Voir la page de Département des Hauts-de-Seine."
    )


def test_communes_answered_differently_get_a_card_each_the_most_populated_first(
    client, seed, no_cache
):
    response = client.get("/contacts/", {"q": "67500"})

    cards = response.context["answer"].cards
    assert [
        (sorted(c.name for c in entry["communes"]), str(entry["card"].contact)) for entry in cards
    ] == [
        (["Batzendorf", "Haguenau", "Niederschaeffolsheim"], "Céline Spitz"),
        (["Weitbruch"], "Sylvie Marchal"),
    ]


def test_the_other_contacts_list_staff_before_elected_representatives(client, seed, no_cache):
    response = client.get("/contacts/", {"q": "Metz"})

    page = response.content.decode()
    others = page[page.index('aria-labelledby="result-title"') :]
    headings = re.findall(r"<h3>(.*?)</h3>", others)
    assert headings[:2] == ["Services et agents", "Élus"]
    staff, elected = others.split("<h3>Élus</h3>")[:2]
    assert "Delphine DIDIER" in staff
    assert "Rachel Burgy" not in staff
    assert "Rachel Burgy" in elected
    assert "Delphine DIDIER" not in elected
    # The card's contact is not listed again.
    assert "Laurence BOUCHON" not in others.split("differences-title")[0]


def test_insee_suggestion_is_a_discreet_line_after_the_answer(client, seed, no_cache):
    response = client.get("/contacts/", {"q": "54200"})

    page = text_of(response)
    section = answer_section(response)
    assert paragraphs(section)[-1] == (
        "Vouliez-vous dire la commune dont le code INSEE est 54200 ? Flirey (54)"
    )
    assert page.index("03 83 15 67 00") < page.index("Vouliez-vous dire")
    assert '<p class="notice">' not in section


def test_a_typo_finds_the_commune(client, seed, no_cache):
    response = client.get("/contacts/", {"q": "Nancyy"})

    assert [commune.name for commune in response.context["answer"].communes] == ["Nancy"]
    assert response.context["corrected"].name == "Nancy"
    assert paragraphs(answer_section(response))[0].startswith(
        "Aucune commune ne s'appelle « Nancyy » : voici la plus proche par son nom."
    )


def test_a_typo_with_the_postal_code_finds_the_commune(client, seed, no_cache):
    response = client.get("/contacts/", {"q": "54200 Toull"})

    assert [commune.name for commune in response.context["answer"].communes] == ["Toul"]


def test_the_page_takes_no_more_queries_for_twenty_communes_than_for_one(
    client, seed, no_cache, django_assert_num_queries
):
    client.get("/contacts/", {"q": "54528"})  # warm the caches of the page's lists

    # With the support services serving the commune, or any of the communes (support/); the
    # schemes and how many there are in one statement (core.pagination.counted_rows); the
    # communes of a postal code, or of an INSEE code, without asking first which it is. A
    # single commune's answer also lists the territories containing it (one query).
    # PostgreSQL receives the communes with the commune whose INSEE code the code is
    # (territories.statements.places), then the links serving the communes and those of
    # the collectivités acting there together, with the schemes and (one commune) its
    # containers, then the contacts, territories and collectivités they name together
    # (rows_together).
    postgresql = connection.vendor == "postgresql"
    with django_assert_num_queries(4 if postgresql else 9):
        one = client.get("/contacts/", {"q": "54528"})
    # Twenty communes: no containers (SQLite one fewer; PostgreSQL reads them along).
    with django_assert_num_queries(4 if postgresql else 8):
        many = client.get("/contacts/", {"q": "54200"})

    assert (len(one.context["answer"].communes), len(many.context["answer"].communes)) == (1, 20)


# In four parts, each every fourth code (the test processes share them: a single test was
# the suite's longest, 53 s of one process on PostgreSQL); every code is checked.
PARTS = 4


@pytest.mark.parametrize("part", range(PARTS))
def test_every_postal_code_of_the_seed_territories_answers_first_with_its_best_channel(
    client, seed, no_cache, part
):
    collectivites = Collectivite.objects.published()
    covered = set(
        Territory.objects.communes()
        .filter(
            container_links__exact=True,
            container_links__container__in=collectivites.values("territory"),
        )
        .values_list("pk", flat=True)
    )
    codes = sorted(
        set(PostalCode.objects.filter(commune__in=covered).values_list("code", flat=True))
    )
    expected = _most_direct_channels(covered)

    wrong, misplaced = [], []
    for code in codes[part::PARTS]:
        communes = list(Territory.objects.matching_place(code))
        answer = answer_for(communes)
        for commune in communes:
            if commune.pk not in covered:
                continue
            (card,) = [e["card"] for e in answer.cards if commune in e["communes"]]
            first = card.channels[0] if card.channels else None
            if first != expected[commune.pk]:
                wrong.append((code, commune.name, first, expected[commune.pk]))
        page = client.get("/contacts/", {"q": code}).content.decode()
        answer_start = page.find('<section aria-labelledby="answer-title">')
        first_card = page.find('<article class="card contact"')
        suggestion = page.find("Vouliez-vous dire")
        others = page.find('aria-labelledby="result-title"')
        if not (
            0 < answer_start < first_card
            and (suggestion == -1 or first_card < suggestion)
            and (others == -1 or first_card < others)
        ):
            misplaced.append(code)

    assert len(codes) > 600
    assert wrong == []
    assert misplaced == []


def _most_direct_channels(communes: set[int]) -> dict[int, Channel | None]:
    """What the sources give to reach someone for each commune, computed apart from the
    finder: the phone (else e-mail) of the most local contact that has one; else the
    postal address (else web site) of the most local collectivité acting there, or
    employing a contact who serves it; else nothing."""
    contacts = Contact.objects.published().select_related("collectivite")
    by_contact = {contact.pk: contact for contact in contacts}
    direct: dict[int, list] = defaultdict(list)
    written: dict[int, list] = defaultdict(list)
    served = TerritoryInclusion.objects.filter(
        member__in=communes, container__contacts__in=list(by_contact)
    ).values_list("member", "container__contacts", "container__rank", "container__commune_count")
    for commune, contact_id, rank, size in served:
        contact = by_contact[contact_id]
        if contact.phone or contact.email:
            channel = (
                Channel("phone", contact.phone)
                if contact.phone
                else Channel("email", contact.email)
            )
            direct[commune].append(((rank, size), channel))
        written[commune].append(((rank, size), contact.collectivite))
    acting = TerritoryInclusion.objects.filter(
        member__in=communes, container__collectivites__in=Collectivite.objects.published()
    ).values_list(
        "member", "container__collectivites", "container__rank", "container__commune_count"
    )
    by_collectivite = Collectivite.objects.in_bulk()
    for commune, collectivite_id, rank, size in acting:
        written[commune].append(((rank, size), by_collectivite[collectivite_id]))
    expected = {}
    for commune in communes:
        if direct[commune]:
            expected[commune] = min(direct[commune], key=lambda pair: pair[0])[1]
            continue
        reachable = [
            (closeness, collectivite)
            for closeness, collectivite in written[commune]
            if collectivite.address.strip() or collectivite.website
        ]
        if not reachable:
            expected[commune] = None
            continue
        collectivite = min(reachable, key=lambda pair: pair[0])[1]
        address = collectivite.address.strip()
        expected[commune] = (
            Channel("address", address) if address else Channel("website", collectivite.website)
        )
    return expected
