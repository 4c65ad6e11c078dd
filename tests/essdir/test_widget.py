"""The embeddable widget (essdir/widget.py): what it shows, the snippet page, and the headers
that let other sites frame it — while every other page keeps refusing to be framed."""

import datetime
import re

import pytest
from django.urls import reverse
from markupsafe import escape

from territories.models import PublicationStatus
from tests.essdir.test_views import Page
from tests.factories import (
    ActorFactory,
    CollectiviteFactory,
    ContactFactory,
    EventFactory,
    SchemeFactory,
)
from tests.html import report, validate_html

pytestmark = pytest.mark.django_db

TODAY = datetime.datetime(2026, 11, 22, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def today(time_machine):
    time_machine.move_to(TODAY)


@pytest.fixture
def departement(territory, today):
    """A département's collectivité with `count` records in each block, five by default."""

    def build(count: int = 5):
        collectivite = CollectiviteFactory(
            name="Département de test",
            slug="departement-de-test",
            territory=territory("departement-54"),
        )
        toul = territory("commune-54528")
        return {
            "collectivite": collectivite,
            "contacts": [
                ContactFactory(collectivite=collectivite, name=f"Contact {n}", order=n)
                for n in range(count)
            ],
            "schemes": [
                SchemeFactory(collectivite=collectivite, name=f"Dispositif {n}")
                for n in range(count)
            ],
            "events": [
                EventFactory(title=f"Rencontre {n}", start_date=datetime.date(2026, 12, 1 + n))
                for n in range(count)
            ],
            "actors": [ActorFactory(name=f"Structure {n}", territory=toul) for n in range(count)],
        }

    return build


def widget_url(collectivite) -> str:
    return reverse("widget:collectivite", kwargs={"slug": collectivite.slug})


def names(records) -> list[str]:
    return [str(record) for record in records]


def test_collectivite_widget_shows_the_first_three_of_each_block(client, departement):
    records = departement()
    collectivite = records["collectivite"]

    response = client.get(widget_url(collectivite))

    assert response.status_code == 200
    page = Page(response)
    context = response.context
    assert names(context["contacts"]) == names(records["contacts"][:3])
    assert names(context["schemes"]) == names(records["schemes"][:3])
    assert names(context["events"]) == names(records["events"][:3])
    assert names(context["actors"]) == names(records["actors"][:3])
    for record in [*records["schemes"][:3], *records["events"][:3], *records["actors"][:3]]:
        assert (record.get_absolute_url(), str(record)) in page.links
    shown = [record for block in records.values() if isinstance(block, list) for record in block]
    assert [str(r) for r in shown if str(r) in page.text] == [
        f"{kind} {n}"
        for kind in ("Contact", "Dispositif", "Rencontre", "Structure")
        for n in range(3)
    ]
    assert "L'ESS avec Département de test" in page.text
    assert [link for link in page.links if "sur essdir" in link[1]] == [
        ("/collectivites/departement-de-test/#contacter", "Tous les contacts sur essdir"),
        ("/collectivites/departement-de-test/#dispositifs", "Tous les dispositifs sur essdir"),
        ("/evenements/?territoire=departement-54", "Tout l'agenda sur essdir"),
        ("/acteurs/?territoire=departement-54", "Toutes les structures sur essdir"),
        ("/collectivites/departement-de-test/", "Tout l'annuaire sur essdir"),
    ]
    # The fragments lead somewhere on the collectivité's page.
    target = client.get("/collectivites/departement-de-test/").content.decode()
    assert 'id="contacter"' in target and 'id="dispositifs"' in target


def test_widget_links_leave_the_frame_and_its_search_stays_in_it(client, departement):
    collectivite = departement(1)["collectivite"]

    content = client.get(widget_url(collectivite)).content.decode()

    assert '<base target="_top">' in content
    assert (
        '<form class="widget-search" role="search" method="get" '
        'action="/integrer/departement-de-test/" target="_self">'
    ) in content
    assert "<script" not in content and "style=" not in content


def test_territory_widget_shows_what_acts_there(client, territory, today):
    toul = territory("commune-54528")
    departement = CollectiviteFactory(name="CD test", territory=territory("departement-54"))
    contact = ContactFactory(collectivite=departement, name="Camille Contact")
    scheme = SchemeFactory(collectivite=departement, name="Fonds test")
    event = EventFactory(title="Forum de Toul", start_date=datetime.date(2026, 12, 5))
    past = EventFactory(title="Forum passé", start_date=datetime.date(2026, 10, 5))
    actor = ActorFactory(name="Recyclerie de Toul", territory=toul)
    elsewhere = ActorFactory(name="Ailleurs", territory=territory("commune-54395"))

    response = client.get(reverse("widget:territory", kwargs={"slug": toul.slug}))

    assert response.status_code == 200
    context = response.context
    assert list(context["contacts"]) == [contact]
    assert list(context["schemes"]) == [scheme]
    assert list(context["events"]) == [event]
    assert list(context["actors"]) == [actor]
    page = Page(response)
    assert "L'ESS à Toul" in page.text
    assert past.title not in page.text and elsewhere.name not in page.text
    # Contacts come from several collectivités: each says whose it is.
    assert (departement.get_absolute_url(), departement.name) in page.links
    assert ("/contacts/?commune=commune-54528", "Tous les contacts sur essdir") in page.links
    assert ("/dispositifs/?territoire=commune-54528", "Tous les dispositifs sur essdir") in (
        page.links
    )


def test_territory_widget_short_form_redirects_to_the_slug(client, territory):
    response = client.get("/integrer/territoire/commune-54528/")

    assert response.status_code == 301
    assert response["Location"] == "/integrer/territoire/commune-54528-toul/"


def test_widget_search_finds_records_around_the_place(client, departement):
    records = departement(2)
    ActorFactory(name="Recyclerie lointaine", territory=records["actors"][0].territory)

    response = client.get(widget_url(records["collectivite"]), {"q": "recyclerie"})

    assert response.status_code == 200
    page = Page(response)
    assert "1 résultat pour « recyclerie » autour de Meurthe-et-Moselle." in page.text
    assert ("/acteurs/recyclerie-lointaine/", "Recyclerie lointaine") in page.links
    assert (
        "/recherche/?q=recyclerie&territoire=departement-54",
        "Tous les résultats pour « recyclerie » sur essdir",
    ) in page.links
    assert ("/integrer/departement-de-test/", "Revenir à l'annuaire : Meurthe-et-Moselle") in (
        page.links
    )
    # The blocks give way to the results.
    assert "contacts" not in response.context


def test_widget_bad_query_answers_400_with_a_message(client, departement):
    collectivite = departement(1)["collectivite"]

    response = client.get(widget_url(collectivite), {"q": "x" * 201})

    assert response.status_code == 400
    assert "Assurez-vous que cette valeur comporte au plus 200 caractères (actuellement 201)." in (
        Page(response).text
    )
    assert "contacts" not in response.context


@pytest.mark.parametrize(
    "url",
    [
        "/integrer/nulle-part/",
        "/integrer/nulle-part/code/",
        "/integrer/territoire/commune-00000/",
        "/integrer/territoire/pas%20un%20territoire/",
        "/integrer/territoire/commune-00000/code/",
    ],
)
def test_widget_unknown_place_answers_404(client, url):
    assert client.get(url).status_code == 404


def test_widget_hides_a_draft_collectivite(client, departement):
    collectivite = departement(1)["collectivite"]
    collectivite.status = PublicationStatus.DRAFT
    collectivite.save()

    assert client.get(widget_url(collectivite)).status_code == 404


@pytest.mark.parametrize("count", [1, 3])
def test_collectivite_widget_query_count_is_constant(
    client, departement, django_assert_num_queries, count
):
    records = departement(count)

    # 8: its schemes' cards read no themes (no card shows them).
    with django_assert_num_queries(8):
        response = client.get(widget_url(records["collectivite"]))

    assert len(response.context["contacts"]) == count
    assert len(response.context["actors"]) == count


@pytest.mark.parametrize("count", [1, 3])
def test_territory_widget_query_count_is_constant(
    client, departement, territory, django_assert_num_queries, count
):
    departement(count)
    url = reverse("widget:territory", kwargs={"slug": territory("departement-54").slug})

    with django_assert_num_queries(8):
        response = client.get(url)

    assert len(response.context["contacts"]) == count
    assert len(response.context["schemes"]) == count
    assert len(response.context["events"]) == count


# --- Headers: framing, cookies, caching ---------------------------------------------------


def assert_frameable(response, ancestors="*"):
    assert "X-Frame-Options" not in response
    assert f"frame-ancestors {ancestors}" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" not in response["Content-Security-Policy"]


def assert_not_frameable(response):
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_widget_may_be_framed_sets_no_cookie_and_is_cacheable(client, departement, settings):
    url = widget_url(departement(1)["collectivite"])

    first, cached = client.get(url), client.get(url)
    revalidated = client.get(url, headers={"If-None-Match": first["ETag"]})

    assert [first.status_code, cached.status_code, revalidated.status_code] == [200, 200, 304]
    for response in (first, cached, revalidated):
        assert_frameable(response)
        assert response["Cache-Control"] == "public, max-age=300"
        assert "Set-Cookie" not in response
        assert response.cookies == {}
    assert "default-src 'self'" in first["Content-Security-Policy"]
    assert client.cookies == {}


def test_territory_widget_and_its_search_may_be_framed(client, territory):
    url = reverse("widget:territory", kwargs={"slug": territory("departement-54").slug})

    for response in (client.get(url), client.get(url, {"q": "emploi"})):
        assert response.status_code == 200
        assert_frameable(response)
        assert "Set-Cookie" not in response


def test_widget_frame_ancestors_follow_the_setting(client, departement, settings):
    settings.WIDGET_FRAME_ANCESTORS = ["https://www.toul.fr", "https://*.example.org"]

    response = client.get(widget_url(departement(1)["collectivite"]))

    assert_frameable(response, ancestors="https://www.toul.fr https://*.example.org")


def test_widget_bad_query_page_may_be_framed_but_is_not_cached(client, departement):
    response = client.get(widget_url(departement(1)["collectivite"]), {"q": "x" * 201})

    assert response.status_code == 400
    assert_frameable(response)
    assert "public" not in response.get("Cache-Control", "")


def test_every_other_page_still_refuses_to_be_framed(client, departement):
    collectivite = departement(1)["collectivite"]
    urls = [
        "/",
        collectivite.get_absolute_url(),
        reverse("widget:collectivite_code", kwargs={"slug": collectivite.slug}),
        "/integrer/nulle-part/",
        "/recherche/?q=emploi",
        "/acteurs/",
    ]

    for url in urls:
        assert_not_frameable(client.get(url))


# --- The snippet page ---------------------------------------------------------------------


def test_collectivite_page_links_to_the_snippets(client, departement):
    collectivite = departement(1)["collectivite"]

    page = Page(client.get(collectivite.get_absolute_url()))

    assert (
        "/integrer/departement-de-test/code/",
        "Intégrer cet annuaire sur votre site",
    ) in page.links


def test_code_page_gives_the_iframe_and_the_card_to_paste(client, settings, departement):
    settings.SITE_URL = "https://essdir.example.org"
    collectivite = departement(1)["collectivite"]

    response = client.get(reverse("widget:collectivite_code", kwargs={"slug": collectivite.slug}))

    assert response.status_code == 200
    content = response.content.decode()
    iframe = (
        '<iframe src="https://essdir.example.org/integrer/departement-de-test/" '
        'title="Annuaire de l’ESS : Département de test (essdir)" '
        'width="400" height="640" loading="lazy"></iframe>'
    )
    card = (
        '<link rel="stylesheet" href="https://essdir.example.org/static/css/widget-card.css">\n'
        '<a class="essdir-card" href="https://essdir.example.org/collectivites/departement-de-test/">\n'
        '  <span class="essdir-card-title">L’ESS : Département de test</span>\n'
        '  <span class="essdir-card-text">Contacts, dispositifs, événements et structures de '
        "l’économie sociale et solidaire, sur essdir.</span>\n"
        "</a>"
    )
    # Shown as code to copy, and previewed as it will look.
    # (The <pre> carries the copy button's labels: static/js/copy-code.js.)
    code = re.sub(r'<pre class="code"[^>]*>', '<pre class="code">', content)
    assert f'<pre class="code"><code>{escape(iframe)}\n</code></pre>' in code
    assert f'<pre class="code"><code>{escape(card)}\n</code></pre>' in code
    assert f'<div class="embed-preview">{iframe}\n</div>' in content
    assert f'<div class="embed-preview">{card}\n</div>' in content


def test_territory_code_page_gives_the_territory_widget(client, settings, territory):
    settings.SITE_URL = "https://essdir.example.org"
    response = client.get("/integrer/territoire/commune-54528-toul/code/")

    assert response.status_code == 200
    assert (
        '<iframe src="https://essdir.example.org/integrer/territoire/commune-54528-toul/" '
        'title="Annuaire de l’ESS : Toul (essdir)"'
    ) in response.content.decode()


def test_english_collectivite_page_links_to_the_english_snippets(client, departement):
    departement(1)

    page = Page(client.get("/en/collectivites/departement-de-test/"))

    assert (
        "/en/integrer/departement-de-test/code/",
        "Embed this directory in your site",
    ) in page.links


def test_english_code_page_gives_the_english_widget(client, settings, departement):
    settings.SITE_URL = "https://essdir.example.org"
    departement(1)

    response = client.get("/en/integrer/departement-de-test/code/")
    widget = client.get("/en/integrer/departement-de-test/")

    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    content = response.content.decode()
    assert (
        '<div class="embed-preview"><iframe '
        'src="https://essdir.example.org/en/integrer/departement-de-test/" '
    ) in content
    assert 'href="https://essdir.example.org/en/collectivites/departement-de-test/"' in content
    assert (
        '<li><a href="https://essdir.example.org/en/collectivites/departement-de-test/" '
        'lang="fr">Département de test</a></li>'
    ) in content
    assert '<h1>Embed the directory: <span lang="fr">Département de test</span></h1>' in content
    assert widget.status_code == 200
    assert widget["Content-Language"] == "en"
    assert '<html lang="en">' in widget.content.decode()
    assert_frameable(widget)
    assert_not_frameable(response)
    assert (
        '<form class="widget-search" role="search" method="get" '
        'action="/en/integrer/departement-de-test/" target="_self">'
    ) in widget.content.decode()


def test_card_stylesheet_is_served_by_its_plain_name(client):
    response = client.get("/static/css/widget-card.css")

    assert response.status_code == 200
    assert b".essdir-card {" in b"".join(response.streaming_content)


def test_widget_pages_are_valid_html(client, departement):
    collectivite = departement(2)["collectivite"]
    urls = {
        widget_url(collectivite): 200,
        f"{widget_url(collectivite)}?q=dispositif": 200,
        f"{widget_url(collectivite)}?q={'x' * 201}": 400,
        "/integrer/territoire/commune-54528-toul/": 200,
        "/integrer/territoire/departement-54-meurthe-et-moselle/": 200,
        reverse("widget:collectivite_code", kwargs={"slug": collectivite.slug}): 200,
        "/integrer/territoire/commune-54528-toul/code/": 200,
        collectivite.get_absolute_url(): 200,
        # In English too.
        f"/en{widget_url(collectivite)}": 200,
        f"/en{widget_url(collectivite)}?q=dispositif": 200,
        "/en/integrer/territoire/commune-54528-toul/": 200,
        f"/en/integrer/{collectivite.slug}/code/": 200,
        "/en/integrer/territoire/commune-54528-toul/code/": 200,
    }
    responses = {url: client.get(url) for url in urls}

    assert {url: response.status_code for url, response in responses.items()} == urls
    errors = validate_html({url: response.content.decode() for url, response in responses.items()})
    assert errors == {url: [] for url in urls}, report(errors)
