"""What the public pages, the search and the back-office show of the structures imported
from the SIRENE register."""

import html
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actors.derived import refresh_actor_places, refresh_panoramas
from actors.models import Actor, ActorPartnership, Establishment, TerritoryPanorama
from actors.services import set_hidden
from actors.sirene.importer import import_sirene
from actors.sirene.synthetic import (
    establishment_row,
    synthetic_siren,
    synthetic_siret,
    unit_row,
    write_etablissements,
    write_unites_legales,
)
from tests.factories import ActorFactory, CollectiviteFactory, territory
from tests.html import report, validate_html

pytestmark = pytest.mark.django_db

SIREN_A = synthetic_siren(1)
SIREN_B = synthetic_siren(2)

METZ = {
    "codeCommuneEtablissement": "57463",
    "codePostalEtablissement": "57000",
    "libelleCommuneEtablissement": "METZ",
}


def branch(siren: str, rank: int, **fields) -> dict:
    return establishment_row(synthetic_siret(siren, rank), etablissementSiege="false", **fields)


def import_files(tmp_path, units, establishments, **options):
    write_unites_legales(tmp_path / "StockUniteLegale_utf8.zip", units)
    write_etablissements(tmp_path / "StockEtablissement_utf8.zip", establishments)
    return import_sirene(
        units=tmp_path / "StockUniteLegale_utf8.zip",
        establishments=tmp_path / "StockEtablissement_utf8.zip",
        **options,
    )


def text(response) -> str:
    return html.unescape(response.content.decode())


def jardins(tmp_path, *, branches=1):
    """An association headquartered in Nancy with `branches` establishments in Metz."""
    import_files(
        tmp_path,
        [
            unit_row(
                SIREN_A,
                denominationUniteLegale="LES JARDINS DE COCAGNE",
                dateDernierTraitementUniteLegale="2024-03-22T14:22:10.000",
            )
        ],
        [
            establishment_row(
                synthetic_siret(SIREN_A, 0),
                enseigne1Etablissement="JARDIN DU CŒUR",
                dateCreationEtablissement="2010-06-30",
            ),
            *(
                branch(SIREN_A, rank, trancheEffectifsEtablissement="01", **METZ)
                for rank in range(1, branches + 1)
            ),
        ],
    )
    return Actor.objects.get(siren=SIREN_A)


# The structure's page


def test_actor_page_shows_the_official_facts_and_their_source(tmp_path, client):
    actor = jardins(tmp_path)

    page = text(client.get(actor.get_absolute_url()))

    for fact in [
        "<h1>LES JARDINS DE COCAGNE</h1>",
        "<dt>Famille de l'ESS</dt><dd>Association</dd>",
        "<dt>Catégorie juridique</dt><dd>Association déclarée "
        '<span class="muted">(catégorie 9220)</span></dd>',
        "<dt>Activité principale</dt><dd>Action sociale sans hébergement n.c.a. "
        '<span class="muted">(NAF 88.99B)</span></dd>',
        "<dt>Numéro RNA</dt><dd>W543001234</dd>",
        "<dt>Effectif salarié</dt><dd>10 à 19 salariés</dd>",
        "<dt>Date de création</dt><dd>15 septembre 2001</dd>",
        f'<a href="https://annuaire-entreprises.data.gouv.fr/entreprise/{SIREN_A}" '
        'rel="noopener">voir sur l\'Annuaire des Entreprises</a>',
        "Source : SIRENE (INSEE), mis à jour le 22 mars 2024",
    ]:
        assert fact in page, fact
    assert "Fiche complétée par" not in page


def test_actor_page_lists_the_open_establishments(tmp_path, client):
    actor = jardins(tmp_path)
    metz = territory("commune-57463")

    page = text(client.get(actor.get_absolute_url()))

    assert '<h3 class="card-title">JARDIN DU CŒUR</h3>' in page
    assert '<span class="badge">Siège</span>' in page
    assert (
        '12 bis rue de la Paix<br>54000 <a href="/territoires/commune-54395-nancy/">Nancy</a>'
        in page
    )
    assert "10 à 19 salariés · ouvert le 30 juin 2010<br>SIRET 10000001700010" in page
    assert f'57000 <a href="{metz.get_absolute_url()}">Metz</a>' in page
    assert (
        f"1 ou 2 salariés · ouvert le 15 septembre 2001<br>SIRET {synthetic_siret(SIREN_A, 1)}"
        in page
    )


def test_actor_page_leaves_closed_establishments_out(tmp_path, client):
    actor = jardins(tmp_path)
    Establishment.objects.filter(siret=synthetic_siret(SIREN_A, 1)).update(is_active=False)

    page = text(client.get(actor.get_absolute_url()))

    assert synthetic_siret(SIREN_A, 0) in page
    assert synthetic_siret(SIREN_A, 1) not in page


def test_actor_page_names_who_completed_the_record(tmp_path, client):
    actor = jardins(tmp_path)
    ActorPartnership.objects.create(
        actor=actor, collectivite=CollectiviteFactory(name="Département de la Moselle")
    )

    page = text(client.get(actor.get_absolute_url()))

    assert "Fiche complétée par Département de la Moselle" in page


@pytest.mark.parametrize("branches", [0, 2])
def test_actor_page_query_count_is_constant_in_establishments(
    tmp_path, client, django_assert_num_queries, branches
):
    actor = jardins(tmp_path, branches=branches)
    first, other = ActorFactory(), ActorFactory()
    client.get(first.get_absolute_url())  # the cache's bookkeeping, once
    with CaptureQueriesContext(connection) as without_siren:
        client.get(other.get_absolute_url())

    # One query more than a structure without SIREN: its establishments.
    with django_assert_num_queries(len(without_siren) + 1):
        response = client.get(actor.get_absolute_url())

    assert text(response).count("SIRET ") == 1 + branches


def test_actor_page_shows_fifty_establishments_and_counts_the_others(tmp_path, client):
    actor = jardins(tmp_path, branches=51)

    page = text(client.get(actor.get_absolute_url()))

    assert page.count("SIRET ") == 50
    assert "Et 2 autres établissements ouverts" in page


def test_actor_page_of_sirene_structure_is_valid_html(tmp_path, client, settings):
    settings.CACHE_MIDDLEWARE_SECONDS = 0
    actor = jardins(tmp_path, branches=51)
    metz = territory("commune-57463")

    pages = {
        url: client.get(url) for url in ["/", actor.get_absolute_url(), metz.get_absolute_url()]
    }

    assert {url: r.status_code for url, r in pages.items()} == dict.fromkeys(pages, 200)
    errors = validate_html({url: r.content.decode() for url, r in pages.items()})
    assert errors == {url: [] for url in pages}, report(errors)


# Lists, territories and search find a structure where its establishments are


def test_actor_list_finds_a_structure_through_its_establishment(tmp_path, client):
    actor = jardins(tmp_path)

    listed = client.get("/acteurs/", {"territoire": "departement-57"}).context["object_list"]

    assert list(listed) == [actor]


def test_actor_list_ignores_a_closed_establishment(tmp_path, client):
    jardins(tmp_path)
    Establishment.objects.filter(is_head_office=False).update(is_active=False)
    refresh_actor_places()  # as the import does once it closed establishments

    listed = client.get("/acteurs/", {"territoire": "departement-57"}).context["object_list"]

    assert list(listed) == []


def test_actor_list_finds_each_structure_once(tmp_path, client):
    actor = jardins(tmp_path, branches=3)

    listed = client.get("/acteurs/", {"territoire": "region-44"}).context["object_list"]

    assert list(listed) == [actor]


def test_in_territory_still_finds_structures_by_their_territory(db):
    toul = ActorFactory(territory=territory("commune-54528"))
    national = ActorFactory(territory=None)

    found = Actor.objects.in_territory(territory("departement-54"))

    assert list(found) == [toul]
    assert national not in Actor.objects.in_territory(territory("region-44"))


def test_search_with_territory_finds_a_structure_through_its_establishment(tmp_path, client):
    actor = jardins(tmp_path)

    response = client.get("/recherche/", {"q": "cocagne", "territoire": "commune-57463"})

    groups = {group["title"]: group for group in response.context["groups"]}
    assert [result.url for result in groups["Acteurs"]["results"]] == [actor.get_absolute_url()]


def test_territory_page_counts_structures_and_establishments(tmp_path, client):
    jardins(tmp_path, branches=2)
    ActorFactory(territory=territory("commune-57463"))
    refresh_panoramas()  # as the nightly refresh does after staff edits

    page = text(client.get(territory("departement-57").get_absolute_url()))

    assert (
        "L'annuaire recense ici <strong>2</strong> structures de l'ESS et "
        "<strong>2</strong> établissements ouverts."
    ) in page
    assert (
        '<a href="/acteurs/?territoire=departement-57">Voir les acteurs de ce territoire (2)</a>'
    ) in page


def test_territory_page_counts_leave_hidden_structures_out(tmp_path, client):
    actor = jardins(tmp_path, branches=2)
    set_hidden(actors=[actor], hidden=True)
    ActorFactory(territory=territory("commune-57463"))
    refresh_panoramas()

    page = text(client.get(territory("departement-57").get_absolute_url()))

    assert (
        "L'annuaire recense ici <strong>1</strong> structure de l'ESS et "
        "<strong>0</strong> établissement ouvert."
    ) in page


def test_home_page_counts_structures_and_establishments(tmp_path, client):
    jardins(tmp_path, branches=2)
    ActorFactory()
    refresh_panoramas()

    page = text(client.get("/"))

    assert (
        "L'annuaire recense <strong>2</strong> structures de l'économie sociale et solidaire "
        "et <strong>3</strong> établissements ouverts"
    ) in page
    assert '<a href="/acteurs/">Parcourir et filtrer les structures par territoire</a>' in page


def test_hidden_structure_is_nowhere_public(tmp_path, client):
    actor = jardins(tmp_path)
    set_hidden(actors=[actor], hidden=True)

    assert client.get(actor.get_absolute_url()).status_code == 404
    assert list(client.get("/acteurs/").context["object_list"]) == []
    groups = client.get("/recherche/", {"q": "cocagne"}).context["groups"]
    assert [group["count"] for group in groups] == [0, 0, 0, 0, 0]


# Back-office


def test_admin_shows_sirene_facts_and_establishments_read_only(tmp_path, admin_client):
    actor = jardins(tmp_path)

    response = admin_client.get(reverse("admin:actors_actor_change", args=[actor.pk]))

    form = response.context["adminform"].form
    assert ("siren" in form.fields, "official_name" in form.fields, "hidden" in form.fields) == (
        True,
        False,
        True,
    )
    page = text(response)
    assert "Répertoire SIRENE (INSEE)" in page
    assert "<td>10000001700010 (siège)</td>" in page
    assert "<td>LES JARDINS DE COCAGNE</td>" not in page  # the name is a field, not a row
    assert '<div class="readonly">LES JARDINS DE COCAGNE</div>' in page


def test_admin_hide_and_show_actions(tmp_path, admin_client):
    actor = jardins(tmp_path)
    changelist = reverse("admin:actors_actor_changelist")

    admin_client.post(changelist, {"action": "hide", "_selected_action": [actor.pk]})
    actor.refresh_from_db()
    hidden = actor.hidden
    admin_client.post(changelist, {"action": "show", "_selected_action": [actor.pk]})
    actor.refresh_from_db()

    assert (hidden, actor.hidden) == (True, False)
    assert actor.history.first().hidden is False


def test_seed_keeps_a_siren_staff_attached_and_the_official_facts(tmp_path, seed):
    actor = Actor.objects.get(slug="relais-lorraine")
    actor.siren = SIREN_A
    actor.save()
    import_files(tmp_path, [unit_row(SIREN_A)], [establishment_row(synthetic_siret(SIREN_A, 0))])

    call_command("seed", "--skip-geography", verbosity=0, stdout=io.StringIO())

    actor.refresh_from_db()
    assert (
        actor.siren,
        actor.family,
        actor.legal_form,
        actor.official_name,
        actor.name,
        actor.territory.short_slug,
    ) == (
        SIREN_A,
        "association",
        "Association déclarée",
        f"ASSOCIATION FICTIVE {SIREN_A}",
        "Relais Lorraine",
        "groupement-pays-tdl",
    )
    assert Actor.objects.filter(siren=SIREN_A).count() == 1


def test_import_computes_the_panoramas(tmp_path):
    jardins(tmp_path, branches=2)

    panorama = TerritoryPanorama.objects.get(territory=territory("departement-57"))

    assert (panorama.structures, panorama.establishments) == (1, 2)
