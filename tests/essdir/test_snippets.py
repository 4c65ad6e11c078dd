"""Search results read as sentences: the record's own sentence holding the words, else a
short readable line; never the title again, nor a name twice."""

import html
import re

import pytest

from core.snippets import highlight, readable_line, snippet
from essdir.search import KINDS, result

pytestmark = pytest.mark.django_db


def kind(singular: str):
    return next(kind for kind in KINDS if str(kind.singular) == singular)


def found(singular: str, query: str, **lookup):
    """The search result of the record of that kind found by `lookup`."""
    of_kind = kind(singular)
    return result(of_kind, of_kind.queryset().get(**lookup), query)


@pytest.fixture
def fresh(settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0


def test_the_snippet_is_the_sentence_holding_the_words():
    text = (
        "Le Département agit pour l'ESS depuis 2008. Il soutient l'insertion des jeunes par "
        "des chantiers. Il anime un réseau."
    )

    assert snippet([text], "insertion", width=220) == (
        "Il soutient l&#x27;<mark>insertion</mark> des jeunes par des chantiers.",
        1,
    )


def test_the_snippet_prefers_the_sentence_holding_most_words():
    texts = ["Un chantier d'insertion.", "Insertion des jeunes et emploi local."]

    assert snippet(texts, "insertion emploi", width=220) == (
        "<mark>Insertion</mark> des jeunes et <mark>emploi</mark> local.",
        2,
    )


def test_the_snippet_is_the_earliest_sentence_holding_every_word():
    texts = [
        "Rien ici. Un chantier d'insertion pour l'emploi.",
        "Insertion et emploi des jeunes.",
    ]

    assert snippet(texts, "insertion emploi", width=220) == (
        "Un chantier d&#x27;<mark>insertion</mark> pour l&#x27;<mark>emploi</mark>.",
        2,
    )


def test_the_snippet_never_repeats_the_title():
    assert snippet(["Terres de Lorraine"], "lorraine", width=220, avoid=["Terres de Lorraine"]) == (
        "",
        0,
    )


def test_the_readable_line_keeps_what_it_is_and_what_matched_each_once():
    line = readable_line(
        ["Dispositif du Département", "Jeunesse", "Insertion et emploi", "Jeunesse", "Moselle"],
        "insertion",
        avoid=["Moselle"],
    )

    assert line == ("Dispositif du Département · <mark>Insertion</mark> et emploi", 1)


def test_the_readable_line_counts_each_word_once_wherever_it_is():
    # "insertion" in a theme, "nancy" in the place, "coopérative" in no part; "Œuvre"
    # folds to two letters ("oe") yet is found.
    line = readable_line(
        ["Œuvre d'insertion", "Insertion et emploi", "Nancy"],
        "insertion nancy coopérative oeuvre",
    )

    assert line == (
        "<mark>Œuvre</mark> d&#x27;<mark>insertion</mark> · <mark>Insertion</mark> et emploi"
        " · <mark>Nancy</mark>",
        3,
    )


def test_common_words_are_not_marked():
    marked, count = highlight("Le Pays Terres de Lorraine a développé", "terres de lorraine")

    assert (marked, count) == (
        "Le Pays <mark>Terres</mark> de <mark>Lorraine</mark> a développé",
        2,
    )


def test_a_scheme_found_by_its_theme_reads_as_a_short_line(seed):
    scheme = found("Dispositif", "insertion", name="Jeunes et entreprises")

    assert scheme.excerpt == (
        "Dispositif du Département des Hauts-de-Seine · <mark>Insertion</mark> et emploi"
    )


def test_a_record_whose_text_holds_the_words_shows_that_sentence(seed):
    collectivite = found("Collectivité", "jeunesse", slug="hauts-de-seine")

    assert collectivite.excerpt == (
        "Le Département souhaite aussi créer une passerelle entre les jeunes Altoséquanais et "
        "l&#x27;entreprise, dans le cadre de sa politique <mark>jeunesse</mark>."
    )


def test_a_contact_snippet_does_not_repeat_its_title(seed):
    contact = found("Contact", "terres de lorraine", title__endswith="(CTES) – Terres de Lorraine")

    assert contact.excerpt == (
        "Agent·e du Département de Meurthe-et-Moselle · Territoire <mark>Terres</mark> de "
        "<mark>Lorraine</mark> (CD54)"
    )


def test_names_are_not_repeated_around_a_result(seed):
    actor = found("Acteur", "terres de lorraine", name="Maison de l'Emploi Terres de Lorraine")
    collectivite = found("Collectivité", "terres de lorraine", slug="pays-terres-de-lorraine")

    assert (actor.carriers, actor.territory) == (
        [("Pays Terres de Lorraine", "/collectivites/pays-terres-de-lorraine/")],
        None,
    )
    assert (collectivite.carriers, collectivite.territory) == ([], None)


def test_the_search_page_says_each_name_once(client, seed, fresh):
    page = client.get("/recherche/", {"q": "terres de lorraine"}).content.decode()

    metas = [
        html.unescape(re.sub(r"<[^>]+>", "", meta))
        for meta in re.findall(r'<p class="result-meta">(.*?)</p>', page, re.S)
    ]
    repeated = [meta for meta in metas if len(set(meta.split(" · "))) < len(meta.split(" · "))]
    assert metas
    assert repeated == []
    assert "Pays Terres de Lorraine · Pays Terres de Lorraine" not in html.unescape(page)
