"""A scheme's page says how to act on it: who handles it at its carrier (its ESS contact,
the sources naming nobody else, as the page says), the channel the sources give, who runs
it, and the source's link where there is one."""

import pytest

from territories.models import Source
from tests.factories import CollectiviteFactory, ContactFactory, SchemeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _uncached(settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0


def how_to_act(html: str) -> str:
    start = html.index('<section id="agir"')
    return html[start : html.index("</section>", start)]


def test_agiren54_names_its_carriers_ess_contact_and_how_to_reach_her(client, seed):
    html = client.get("/dispositifs/agiren54/").content.decode()
    block = how_to_act(html)

    # Right after the facts, before the description.
    assert html.index('id="act-title"') < html.index('id="description-title"')
    assert (
        "La source ne nomme personne pour ce dispositif : adressez-vous au Département de "
        "Meurthe-et-Moselle, qui le porte."
    ) in block
    assert "Catherine Mengel" in block
    assert "Chargée de Mission développement" in block
    assert '<a href="tel:0383945580">03 83 94 55 80</a>' in block
    assert '<a href="mailto:cmengel@departement54.fr">cmengel@departement54.fr</a>' in block
    # Source 003 (the RTES's sheets) gives no web address: said, not invented.
    assert "Les sources de cette fiche ne donnent pas d'adresse web pour ce dispositif" in block
    assert "http" not in block.replace('href="/', "")


def test_a_scheme_shows_who_runs_it(client, seed):
    block = how_to_act(client.get("/dispositifs/balise/").content.decode())

    assert 'Mis en œuvre par : <a href="/acteurs/fer-ensemble/">FER ENSEMBLE</a>.' in block


def test_a_carrier_naming_nobody_with_no_coordinates_says_so(client, seed):
    block = how_to_act(client.get("/dispositifs/progress/").content.decode())

    assert "adressez-vous au Département des Hauts-de-Seine, qui le porte." in block
    assert "Les sources ne donnent aucune coordonnée" in block


def test_the_carriers_officer_with_a_channel_comes_before_elected_and_the_source_links(client):
    carrier = CollectiviteFactory(name="Ville d'Essai", website="https://essai.example.org")
    ContactFactory(collectivite=carrier, role="elu", name="Élue", phone="01 00 00 00 01")
    ContactFactory(collectivite=carrier, name="Sans coordonnées", is_central=True)
    ContactFactory(collectivite=carrier, name="Agent joignable", email="agent@essai.example.org")
    scheme = SchemeFactory(collectivite=carrier, name="Fonds d'essai")
    source = Source.objects.create(
        code="x1", title="Délibération", url="https://essai.example.org/deliberation"
    )
    scheme.sources.add(source)

    block = how_to_act(client.get(scheme.get_absolute_url()).content.decode())

    assert "Agent joignable" in block
    assert "mailto:agent@essai.example.org" in block
    assert "Élue" not in block
    assert "Sans coordonnées" not in block
    assert (
        'Lire la source : <a href="https://essai.example.org/deliberation">Délibération</a>.'
        in block
    )


def test_a_carrier_without_officers_is_written_to(client):
    carrier = CollectiviteFactory(name="Ville d'Essai", address="1 place de la Mairie\n54000 Nancy")
    scheme = SchemeFactory(collectivite=carrier)

    block = how_to_act(client.get(scheme.get_absolute_url()).content.decode())

    assert "Collectivité à contacter directement" in block
    assert "1 place de la Mairie<br>54000 Nancy" in block
