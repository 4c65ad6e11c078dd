"""No public page has an HTML validator error (W3C Nu HTML checker, see tests/html.py)."""

import pytest

from actors.models import Actor
from events.models import Event
from territories.models import Collectivite, Scheme, Territory
from tests.html import report, validate_html

pytestmark = pytest.mark.django_db


def test_every_page_type_is_valid_html(client, seed, settings, territory):
    settings.CACHE_MIDDLEWARE_SECONDS = 0
    epci = Territory.objects.filter(kind="epci").first()
    departement = territory("departement-54").get_absolute_url()
    # One page of each public type, with the status it must answer with.
    urls = {
        "/": 200,
        "/recherche/?q=emploi": 200,
        "/recherche/?q=": 200,
        "/collectivites/": 200,
        "/collectivites/?territoire=nowhere-0": 400,
        "/collectivites/budgets/": 200,
        "/collectivites/budgets/?type=inconnu": 400,
        "/collectivites/subventions/": 200,
        "/collectivites/subventions/?annee=deux-mille": 400,
        Collectivite.objects.get(slug="meurthe-et-moselle").get_absolute_url(): 200,
        "/territoires/": 200,
        "/territoires/?q=Toul": 200,
        territory("region-44").get_absolute_url(): 200,
        departement: 200,
        epci.get_absolute_url(): 200,
        territory("groupement-pays-tdl").get_absolute_url(): 200,
        territory("commune-54528").get_absolute_url(): 200,
        "/dispositifs/": 200,
        Scheme.objects.published().first().get_absolute_url(): 200,
        "/acteurs/": 200,
        "/acteurs/?theme=inconnu": 400,
        Actor.objects.published().first().get_absolute_url(): 200,
        "/acteurs/referencer/": 200,
        "/evenements/": 200,
        "/evenements/?periode=passe": 200,
        Event.objects.published().first().get_absolute_url(): 200,
        "/contacts/": 200,
        "/contacts/?q=54200": 200,
        "/contacts/?q=Toul": 200,
        "/nulle-part/": 404,
        "/mentions-legales/": 200,
        "/accessibilite/": 200,
        "/donnees-personnelles/": 200,
        "/plan-du-site/": 200,
        "/signaler-une-erreur/?page=/acteurs/": 200,
        "/signaler-une-erreur/?page=https://example.org/": 400,
    }
    responses = {url: client.get(url) for url in urls}
    empty_proposal = "POST /acteurs/referencer/ (empty: 400, errors shown)"
    responses[empty_proposal] = client.post("/acteurs/referencer/", {})

    statuses = {name: response.status_code for name, response in responses.items()}
    assert statuses == {**urls, empty_proposal: 400}
    pages = {name: r.content.decode(r.charset) for name, r in responses.items()}
    # The panorama's SVG charts are among what is validated.
    assert '<svg role="img"' in pages[departement]
    errors = validate_html(pages)
    assert errors == {name: [] for name in pages}, report(errors)
