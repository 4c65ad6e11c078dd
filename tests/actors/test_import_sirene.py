"""The SIRENE import (actors.sirene.importer.import_sirene and `manage.py import_sirene`), on
small files written in INSEE's layout by actors.sirene.synthetic."""

import datetime
import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from actors.models import Actor, ActorPartnership, Establishment, SireneState
from actors.services import set_hidden
from actors.sirene import Unit, synthetic
from actors.sirene.importer import (
    SireneImportError,
    commune_code_of,
    import_sirene,
    pack_unit,
    unpack_unit,
)
from actors.sirene.synthetic import (
    establishment_row,
    geolocation_row,
    synthetic_siren,
    synthetic_siret,
    unit_row,
    write_etablissements,
    write_geolocalisation,
    write_unites_legales,
)
from territories.models import PublicationStatus
from tests.factories import ActorFactory, CollectiviteFactory, ThemeFactory, territory

pytestmark = pytest.mark.django_db

UNITS_ZIP = "StockUniteLegale_utf8.zip"
ESTABLISHMENTS_ZIP = "StockEtablissement_utf8.zip"
GEOLOCATION_ZIP = "GeolocalisationEtablissement_Sirene_pour_etudes_statistiques_utf8.zip"

SIREN_A = synthetic_siren(1)
SIREN_B = synthetic_siren(2)
SIREN_C = synthetic_siren(3)

METZ = {
    "codeCommuneEtablissement": "57463",
    "codePostalEtablissement": "57000",
    "libelleCommuneEtablissement": "METZ",
    "coordonneeLambertAbscisseEtablissement": "931775.6",
    "coordonneeLambertOrdonneeEtablissement": "6895716.2",
}
NANTERRE = {
    "codeCommuneEtablissement": "92050",
    "codePostalEtablissement": "92000",
    "libelleCommuneEtablissement": "NANTERRE",
}


def siret(siren: str, rank: int = 0) -> str:
    return synthetic_siret(siren, rank)


def branch(siren: str, rank: int, **fields) -> dict:
    """A secondary establishment (not the head office), in Nancy unless told."""
    return establishment_row(siret(siren, rank), etablissementSiege="false", **fields)


def run(tmp_path, units, establishments, *, zipped=True, geolocation=None, **options):
    """Write the files (again) and import them."""
    suffix = ".zip" if zipped else ".csv"
    units_path = tmp_path / f"StockUniteLegale_utf8{suffix}"
    establishments_path = tmp_path / f"StockEtablissement_utf8{suffix}"
    write_unites_legales(units_path, units)
    write_etablissements(establishments_path, establishments)
    if geolocation is not None:
        write_geolocalisation(tmp_path / GEOLOCATION_ZIP, geolocation)
        options["geolocation"] = tmp_path / GEOLOCATION_ZIP
    return import_sirene(units=units_path, establishments=establishments_path, **options)


def command(tmp_path, *args) -> str:
    out = io.StringIO()
    call_command(
        "import_sirene",
        "--unites",
        str(tmp_path / UNITS_ZIP),
        "--etablissements",
        str(tmp_path / ESTABLISHMENTS_ZIP),
        *args,
        stdout=out,
    )
    return out.getvalue()


def sirene_writes(queries) -> list[str]:
    """The statements that wrote to the actors' or establishments' tables (not the run's
    own record)."""
    return [
        q["sql"]
        for q in queries
        if re.match(r"\s*(INSERT|UPDATE|DELETE)", q["sql"])
        and '"actors_' in q["sql"]
        and '"actors_importrun"' not in q["sql"]
    ]


# What the import stores


def test_import_creates_structures_with_their_official_facts(tmp_path):
    report = run(
        tmp_path,
        [unit_row(SIREN_A, denominationUniteLegale="LES JARDINS DE COCAGNE")],
        [establishment_row(siret(SIREN_A))],
    )

    actor = Actor.objects.get(siren=SIREN_A)
    assert (report.actors.created, report.establishments.created) == (1, 1)
    assert {
        "name": actor.name,
        "official_name": actor.official_name,
        "slug": actor.slug,
        "status": actor.status,
        "hidden": actor.hidden,
        "family": actor.family,
        "legal_form": actor.legal_form,
        "legal_category": actor.legal_category,
        "naf_code": actor.naf_code,
        "rna": actor.rna,
        "employees_band": actor.employees_band,
        "sirene_created_on": actor.sirene_created_on,
        "sirene_processed_on": actor.sirene_processed_on,
        "sirene_state": actor.sirene_state,
        "territory": actor.territory.short_slug,
        "search_context": actor.search_context,
    } == {
        "name": "LES JARDINS DE COCAGNE",
        "official_name": "LES JARDINS DE COCAGNE",
        "slug": f"les-jardins-de-cocagne-{SIREN_A}",
        "status": PublicationStatus.PUBLISHED,
        "hidden": False,
        "family": "association",
        "legal_form": "Association déclarée",
        "legal_category": "9220",
        "naf_code": "88.99B",
        "rna": "W543001234",
        "employees_band": "11",
        "sirene_created_on": datetime.date(2001, 9, 15),
        "sirene_processed_on": datetime.date(2024, 3, 22),
        "sirene_state": SireneState.ACTIVE,
        "territory": "commune-54395",
        "search_context": "Nancy",
    }


def test_import_stores_establishments_with_address_and_wgs84_coordinates(tmp_path):
    run(
        tmp_path,
        [unit_row(SIREN_A)],
        [
            establishment_row(siret(SIREN_A), enseigne1Etablissement="JARDIN DU CŒUR"),
            branch(SIREN_A, 1, complementAdresseEtablissement="BATIMENT B", **METZ),
        ],
    )

    rows = list(
        Establishment.objects.order_by("siret").values(
            "siret",
            "nic",
            "name",
            "address",
            "address_complement",
            "postal_code",
            "commune__short_slug",
            "commune_code",
            "commune_label",
            "naf_code",
            "employees_band",
            "is_head_office",
            "created_on",
            "latitude",
            "longitude",
            "is_active",
            "closed_on",
        )
    )
    assert rows == [
        {
            "siret": siret(SIREN_A),
            "nic": siret(SIREN_A)[9:],
            "name": "JARDIN DU CŒUR",
            "address": "12 bis rue de la Paix",
            "address_complement": "",
            "postal_code": "54000",
            "commune__short_slug": "commune-54395",
            "commune_code": "54395",
            "commune_label": "NANCY",
            "naf_code": "88.99B",
            "employees_band": "11",
            "is_head_office": True,
            "created_on": datetime.date(2001, 9, 15),
            "latitude": 48.6937,
            "longitude": 6.1834,
            "is_active": True,
            "closed_on": None,
        },
        {
            "siret": siret(SIREN_A, 1),
            "nic": siret(SIREN_A, 1)[9:],
            "name": "",
            "address": "12 bis rue de la Paix",
            "address_complement": "BATIMENT B",
            "postal_code": "57000",
            "commune__short_slug": "commune-57463",
            "commune_code": "57463",
            "commune_label": "METZ",
            "naf_code": "88.99B",
            "employees_band": "11",
            "is_head_office": False,
            "created_on": datetime.date(2001, 9, 15),
            "latitude": 49.1193,
            "longitude": 6.175701,
            "is_active": True,
            "closed_on": None,
        },
    ]


def test_import_geolocation_file_gives_the_coordinates(tmp_path):
    run(
        tmp_path,
        [unit_row(SIREN_A)],
        [establishment_row(siret(SIREN_A))],
        geolocation=[geolocation_row(siret(SIREN_A), "6.1833", "48.6921")],
    )

    assert list(Establishment.objects.values_list("latitude", "longitude")) == [(48.6921, 6.1833)]


def test_import_keeps_only_ess_units(tmp_path):
    report = run(
        tmp_path,
        [
            unit_row(SIREN_A),
            unit_row(
                SIREN_B,
                economieSocialeSolidaireUniteLegale="N",
                categorieJuridiqueUniteLegale="5710",
            ),
        ],
        [establishment_row(siret(SIREN_A)), establishment_row(siret(SIREN_B))],
    )

    assert list(Actor.objects.values_list("siren", flat=True)) == [SIREN_A]
    assert list(Establishment.objects.values_list("siret", flat=True)) == [siret(SIREN_A)]
    assert report.read.skipped == {"non ESS": 2}


def test_import_skips_ceased_units_and_closed_establishments(tmp_path):
    report = run(
        tmp_path,
        [unit_row(SIREN_A), unit_row(SIREN_B, etatAdministratifUniteLegale="C")],
        [
            establishment_row(siret(SIREN_A)),
            branch(SIREN_A, 1, etatAdministratifEtablissement="F"),
            establishment_row(siret(SIREN_B)),
        ],
    )

    assert list(Actor.objects.values_list("siren", flat=True)) == [SIREN_A]
    assert list(Establishment.objects.values_list("siret", flat=True)) == [siret(SIREN_A)]
    assert report.read.skipped == {"cessée": 1, "fermé": 1, "non ESS": 1}


def test_import_never_imports_natural_persons(tmp_path):
    report = run(
        tmp_path,
        [
            unit_row(
                SIREN_A,
                categorieJuridiqueUniteLegale="1000",
                denominationUniteLegale="",
                nomUniteLegale="DURAND",
                prenom1UniteLegale="CLAIRE",
            )
        ],
        [establishment_row(siret(SIREN_A))],
    )

    assert Actor.objects.count() == 0
    assert Establishment.objects.count() == 0
    assert report.read.skipped == {"personne physique": 1, "non ESS": 1}


def test_import_partial_diffusion_masks_are_never_stored(tmp_path):
    report = run(
        tmp_path,
        [
            unit_row(
                SIREN_A,
                statutDiffusionUniteLegale="P",
                identifiantAssociationUniteLegale="[ND]",
                trancheEffectifsUniteLegale="[ND]",
                dateCreationUniteLegale="[ND]",
            ),
            unit_row(SIREN_B, statutDiffusionUniteLegale="P", denominationUniteLegale="[ND]"),
        ],
        [
            establishment_row(
                siret(SIREN_A),
                statutDiffusionEtablissement="P",
                numeroVoieEtablissement="[ND]",
                indiceRepetitionEtablissement="[ND]",
                typeVoieEtablissement="[ND]",
                libelleVoieEtablissement="[ND]",
                enseigne1Etablissement="[ND]",
                coordonneeLambertAbscisseEtablissement="[ND]",
                coordonneeLambertOrdonneeEtablissement="[ND]",
            ),
            branch(SIREN_A, 1, statutDiffusionEtablissement="P", codeCommuneEtablissement="[ND]"),
            establishment_row(siret(SIREN_B)),
        ],
    )

    actor = Actor.objects.get()
    establishment = Establishment.objects.get()
    assert (actor.siren, actor.rna, actor.employees_band, actor.sirene_created_on) == (
        SIREN_A,
        "",
        "",
        None,
    )
    assert (
        establishment.siret,
        establishment.address,
        establishment.name,
        establishment.latitude,
    ) == (siret(SIREN_A), "", "", None)
    stored = [
        *Actor.objects.values_list(*[f.attname for f in Actor._meta.concrete_fields]),
        *Establishment.objects.values_list(
            *[f.attname for f in Establishment._meta.concrete_fields]
        ),
    ]
    assert [value for row in stored for value in row if value == "[ND]"] == []
    assert report.read.skipped == {"non diffusible": 2, "non ESS": 1}


def test_import_unknown_commune_is_kept_without_commune_and_reported(tmp_path):
    report = run(
        tmp_path,
        [unit_row(SIREN_A)],
        [
            establishment_row(siret(SIREN_A)),
            branch(
                SIREN_A,
                1,
                codeCommuneEtablissement="33063",
                codePostalEtablissement="33000",
                libelleCommuneEtablissement="BORDEAUX",
            ),
        ],
    )

    establishment = Establishment.objects.get(siret=siret(SIREN_A, 1))
    assert (establishment.commune, establishment.commune_code, establishment.place) == (
        None,
        "33063",
        "33000 BORDEAUX",
    )
    assert report.unknown_communes == {"33063": 1}
    assert "Commune inconnue de l'annuaire pour 1 établissement(s)" in report.summary()


def test_commune_code_of_arrondissements_is_their_commune():
    assert [commune_code_of(code) for code in ["75111", "69381", "13216", "54395"]] == [
        "75056",
        "69123",
        "13055",
        "54395",
    ]


def test_packed_unit_keeps_the_facts():
    unit = Unit(
        siren=SIREN_A,
        name="ŒUVRE D'ENTRAIDE",
        acronym="",
        legal_category="9220",
        ess_family="association",
        naf_code="88.99B",
        rna="W543001234",
        created_on=datetime.date(1998, 4, 1),
        employees_band="12",
        head_office_nic="00021",
        updated_at="2024-05-02T09:10:11.000",
    )

    assert tuple(unpack_unit(pack_unit(unit))) == (
        "ŒUVRE D'ENTRAIDE",
        "9220",
        "88.99B",
        "W543001234",
        datetime.date(1998, 4, 1),
        "12",
        datetime.date(2024, 5, 2),
        "00021",
    )


# Area filter


def test_import_departement_filter_reads_only_its_establishments(tmp_path):
    report = run(
        tmp_path,
        [unit_row(SIREN_A), unit_row(SIREN_B)],
        [
            establishment_row(siret(SIREN_A)),
            branch(SIREN_A, 1, **METZ),
            establishment_row(siret(SIREN_B), **METZ),
        ],
        departements=["57"],
    )

    assert sorted(Establishment.objects.values_list("siret", flat=True)) == [
        siret(SIREN_A, 1),
        siret(SIREN_B),
    ]
    # The head office is outside the area: the structure is found through its establishment.
    assert dict(Actor.objects.values_list("siren", "territory__short_slug")) == {
        SIREN_A: None,
        SIREN_B: "commune-57463",
    }
    assert report.read.skipped == {"hors zone": 1}


def test_import_region_filter_reads_only_its_establishments(tmp_path):
    run(
        tmp_path,
        [unit_row(SIREN_A)],
        [establishment_row(siret(SIREN_A)), branch(SIREN_A, 1, **NANTERRE)],
        regions=["11"],
    )

    assert list(Establishment.objects.values_list("siret", flat=True)) == [siret(SIREN_A, 1)]


def test_import_unknown_departement_is_refused(tmp_path):
    with pytest.raises(SireneImportError) as caught:
        run(tmp_path, [unit_row(SIREN_A)], [], departements=["99"])

    assert str(caught.value) == (
        "Territoire inconnu de l'annuaire : département 99 (importez d'abord la géographie)."
    )


def test_import_with_departement_closes_only_what_lies_there(tmp_path):
    run(
        tmp_path,
        [unit_row(SIREN_A)],
        [establishment_row(siret(SIREN_A)), branch(SIREN_A, 1, **METZ)],
    )

    report = run(tmp_path, [unit_row(SIREN_A)], [], departements=["57"])

    assert dict(Establishment.objects.values_list("siret", "is_active")) == {
        siret(SIREN_A): True,
        siret(SIREN_A, 1): False,
    }
    assert report.closed == 1


# Later imports


def test_import_rename_moves_the_displayed_name_along(tmp_path):
    run(
        tmp_path,
        [unit_row(SIREN_A, denominationUniteLegale="ANCIEN NOM")],
        [establishment_row(siret(SIREN_A))],
    )

    report = run(
        tmp_path,
        [unit_row(SIREN_A, denominationUniteLegale="NOUVEAU NOM")],
        [establishment_row(siret(SIREN_A))],
    )

    actor = Actor.objects.get()
    assert (actor.name, actor.official_name, report.actors.updated) == (
        "NOUVEAU NOM",
        "NOUVEAU NOM",
        1,
    )


def test_import_rename_keeps_a_display_name_chosen_by_staff(tmp_path):
    run(
        tmp_path,
        [unit_row(SIREN_A, denominationUniteLegale="ANCIEN NOM")],
        [establishment_row(siret(SIREN_A))],
    )
    Actor.objects.update(name="Les Jardins du cœur")

    run(
        tmp_path,
        [unit_row(SIREN_A, denominationUniteLegale="NOUVEAU NOM")],
        [establishment_row(siret(SIREN_A))],
    )

    actor = Actor.objects.get()
    assert (actor.name, actor.official_name) == ("Les Jardins du cœur", "NOUVEAU NOM")
    # Still found by its official name.
    assert actor.search_context == "Nancy NOUVEAU NOM"


def test_import_closes_establishments_no_longer_open_and_keeps_them(tmp_path, time_machine):
    time_machine.move_to(datetime.datetime(2026, 5, 4, 10, 0, tzinfo=datetime.UTC))
    units = [unit_row(SIREN_A)]
    run(
        tmp_path,
        units,
        [establishment_row(siret(SIREN_A)), branch(SIREN_A, 1, **METZ), branch(SIREN_A, 2)],
    )

    report = run(
        tmp_path,
        units,
        [
            establishment_row(siret(SIREN_A)),
            # Closed on the date SIRENE gives: the start of its closed period.
            branch(SIREN_A, 1, etatAdministratifEtablissement="F", dateDebut="2026-04-17", **METZ),
            # Gone from the file: closed on the import's date.
        ],
    )

    assert list(Establishment.objects.order_by("siret").values_list("is_active", "closed_on")) == [
        (True, None),
        (False, datetime.date(2026, 4, 17)),
        (False, datetime.date(2026, 5, 4)),
    ]
    assert (report.closed, report.establishments.unchanged) == (2, 1)
    assert list(Actor.objects.published().in_territory(territory("departement-57"))) == []


def test_import_reopened_establishment_is_active_again(tmp_path):
    units = [unit_row(SIREN_A)]
    rows = [establishment_row(siret(SIREN_A)), branch(SIREN_A, 1, **METZ)]
    run(tmp_path, units, rows)
    run(tmp_path, units, rows[:1])

    report = run(tmp_path, units, rows)

    assert list(Establishment.objects.order_by("siret").values_list("is_active", "closed_on")) == [
        (True, None),
        (True, None),
    ]
    assert (report.establishments.updated, report.reopened) == (1, 1)


def test_import_archives_a_ceased_unit_without_deleting_it(tmp_path):
    run(tmp_path, [unit_row(SIREN_A)], [establishment_row(siret(SIREN_A))])

    report = run(
        tmp_path,
        [unit_row(SIREN_A, etatAdministratifUniteLegale="C")],
        [establishment_row(siret(SIREN_A), etatAdministratifEtablissement="F")],
    )

    actor = Actor.objects.get()
    assert (actor.status, actor.sirene_state) == (PublicationStatus.ARCHIVED, SireneState.CEASED)
    assert list(Establishment.objects.values_list("is_active", flat=True)) == [False]
    assert (report.archived, report.closed) == (1, 1)


def test_import_unit_no_longer_ess_is_archived(tmp_path):
    run(tmp_path, [unit_row(SIREN_A)], [establishment_row(siret(SIREN_A))])

    report = run(
        tmp_path,
        [unit_row(SIREN_A, economieSocialeSolidaireUniteLegale="N")],
        [establishment_row(siret(SIREN_A))],
    )

    assert list(Actor.objects.values_list("status", flat=True)) == [PublicationStatus.ARCHIVED]
    assert report.archived == 1


def test_import_reappearing_unit_is_published_again(tmp_path):
    rows = [establishment_row(siret(SIREN_A))]
    run(tmp_path, [unit_row(SIREN_A)], rows)
    run(tmp_path, [unit_row(SIREN_A, etatAdministratifUniteLegale="C")], rows)

    report = run(tmp_path, [unit_row(SIREN_A)], rows)

    actor = Actor.objects.get()
    assert (actor.status, actor.sirene_state) == (PublicationStatus.PUBLISHED, SireneState.ACTIVE)
    assert list(Establishment.objects.values_list("is_active", flat=True)) == [True]
    assert (report.reappeared, report.actors.updated, report.actors.created) == (1, 1, 0)


def test_import_hidden_structure_stays_hidden_across_imports(tmp_path, client):
    rows = [establishment_row(siret(SIREN_A))]
    run(tmp_path, [unit_row(SIREN_A)], rows)
    actor = Actor.objects.get()
    set_hidden(actors=[actor], hidden=True)

    run(tmp_path, [unit_row(SIREN_A, etatAdministratifUniteLegale="C")], rows)
    run(tmp_path, [unit_row(SIREN_A, denominationUniteLegale="NOUVEAU NOM")], rows)

    actor.refresh_from_db()
    assert (actor.hidden, actor.status, actor.name) == (
        True,
        PublicationStatus.PUBLISHED,
        "NOUVEAU NOM",
    )
    assert list(Actor.objects.published()) == []
    assert client.get(actor.get_absolute_url()).status_code == 404
    listed = client.get("/acteurs/", {"territoire": "commune-54395"}).context["object_list"]
    assert list(listed) == []


def test_import_never_writes_staff_fields(tmp_path):
    rows = [establishment_row(siret(SIREN_A))]
    run(tmp_path, [unit_row(SIREN_A)], rows)
    actor = Actor.objects.get()
    theme = ThemeFactory(name="Alimentation")
    collectivite = CollectiviteFactory()
    actor.short_description = "Des jardins d'insertion."
    actor.description = "Maraîchage biologique."
    actor.website = "https://jardins.example.org"
    actor.phone = "03 83 00 00 00"
    actor.email = "contact@jardins.example.org"
    actor.territory = territory("commune-54528")
    actor.save()
    actor.themes.add(theme)
    ActorPartnership.objects.create(actor=actor, collectivite=collectivite)

    run(
        tmp_path,
        [
            unit_row(
                SIREN_A,
                activitePrincipaleUniteLegale="94.99Z",
                trancheEffectifsUniteLegale="21",
            )
        ],
        [establishment_row(siret(SIREN_A), **METZ)],
    )

    actor.refresh_from_db()
    assert (
        actor.short_description,
        actor.description,
        actor.website,
        actor.phone,
        actor.email,
        actor.territory.short_slug,
        list(actor.themes.all()),
        list(actor.partner_of.all()),
    ) == (
        "Des jardins d'insertion.",
        "Maraîchage biologique.",
        "https://jardins.example.org",
        "03 83 00 00 00",
        "contact@jardins.example.org",
        "commune-54528",
        [theme],
        [collectivite],
    )
    assert (actor.naf_code, actor.employees_band) == ("94.99Z", "21")


def test_import_fills_a_seed_structure_matched_by_siren(tmp_path):
    seed = ActorFactory(
        name="Ressourcerie du Toulois",
        slug="ressourcerie-du-toulois",
        siren=SIREN_A,
        legal_form="association",
        territory=territory("commune-54528"),
    )

    report = run(
        tmp_path,
        [unit_row(SIREN_A, denominationUniteLegale="ASSOCIATION RESSOURCERIE DU TOULOIS")],
        [establishment_row(siret(SIREN_A))],
    )

    actor = Actor.objects.get()
    assert actor.pk == seed.pk
    assert (
        actor.name,
        actor.slug,
        actor.official_name,
        actor.legal_form,
        actor.territory.short_slug,
    ) == (
        "Ressourcerie du Toulois",
        "ressourcerie-du-toulois",
        "ASSOCIATION RESSOURCERIE DU TOULOIS",
        "Association déclarée",
        "commune-54528",
    )
    assert list(Establishment.objects.values_list("actor", flat=True)) == [seed.pk]
    assert (report.actors.created, report.actors.updated) == (0, 1)


def test_import_fills_a_siren_attached_without_establishment_in_the_area(tmp_path):
    seed = ActorFactory(siren=SIREN_A, territory=None)

    run(
        tmp_path,
        [unit_row(SIREN_A)],
        [establishment_row(siret(SIREN_A))],
        departements=["57"],
    )

    seed.refresh_from_db()
    assert (seed.official_name, seed.legal_category, seed.territory) == (
        f"ASSOCIATION FICTIVE {SIREN_A}",
        "9220",
        None,
    )


def test_import_seed_structure_with_a_siren_outside_the_ess_is_left_alone(tmp_path):
    seed = ActorFactory(siren=SIREN_A, legal_form="SAS")

    report = run(
        tmp_path,
        [unit_row(SIREN_A, economieSocialeSolidaireUniteLegale="N")],
        [establishment_row(siret(SIREN_A))],
    )

    seed.refresh_from_db()
    assert (seed.status, seed.legal_form, seed.sirene_state) == (
        PublicationStatus.PUBLISHED,
        "SAS",
        "",
    )
    assert report.archived == 0


# Files


@pytest.mark.parametrize("zipped", [True, False])
def test_import_reads_zip_and_plain_csv(tmp_path, zipped):
    report = run(tmp_path, [unit_row(SIREN_A)], [establishment_row(siret(SIREN_A))], zipped=zipped)

    assert (report.actors.created, report.establishments.created) == (1, 1)


def test_import_ignores_extra_unknown_columns(tmp_path):
    units_path, establishments_path = tmp_path / UNITS_ZIP, tmp_path / ESTABLISHMENTS_ZIP
    write_unites_legales(
        units_path,
        [{**unit_row(SIREN_A), "colonneFuture": "x"}],
        columns=["colonneFuture", *synthetic.UNITE_LEGALE_COLUMNS],
    )
    write_etablissements(
        establishments_path,
        [{**establishment_row(siret(SIREN_A)), "autreColonne": "y"}],
        columns=[*synthetic.ETABLISSEMENT_COLUMNS, "autreColonne"],
    )

    report = import_sirene(units=units_path, establishments=establishments_path)

    assert (report.actors.created, report.establishments.created) == (1, 1)


def test_import_command_prints_counts_reasons_and_errors(tmp_path):
    write_unites_legales(
        tmp_path / UNITS_ZIP,
        [
            unit_row(SIREN_A),
            unit_row("123456789"),
            unit_row(SIREN_B, etatAdministratifUniteLegale="C"),
        ],
    )
    write_etablissements(
        tmp_path / ESTABLISHMENTS_ZIP,
        [establishment_row(siret(SIREN_A)), branch(SIREN_A, 1, etatAdministratifEtablissement="F")],
    )

    out = command(tmp_path)

    assert out.splitlines()[:5] == [
        "Structures : 1 créées, 0 mises à jour (dont 0 revenues), 0 inchangées, 0 archivées "
        "(unité cessée, sortie de l'ESS ou non diffusible).",
        "Établissements : 1 créés, 0 mis à jour (dont 0 rouverts), 0 inchangés, 0 fermés.",
        "StockUniteLegale_utf8.zip : 3 lignes lues, 1 retenues, écartées "
        "(ligne invalide : 1, cessée : 1)",
        "StockEtablissement_utf8.zip : 2 lignes lues, 1 retenues, écartées (fermé : 1)",
        "StockUniteLegale_utf8.zip, ligne 3 : SIREN invalide : « 123456789 »",
    ]


def test_import_command_missing_columns_is_a_command_error(tmp_path):
    columns = [c for c in synthetic.ETABLISSEMENT_COLUMNS if c != "codeCommuneEtablissement"]
    write_unites_legales(tmp_path / UNITS_ZIP, [unit_row(SIREN_A)])
    write_etablissements(
        tmp_path / ESTABLISHMENTS_ZIP, [establishment_row(siret(SIREN_A))], columns=columns
    )

    with pytest.raises(CommandError) as caught:
        command(tmp_path)

    assert str(caught.value) == (
        "Le fichier StockEtablissement_utf8.zip n'est pas un stock SIRENE des établissements : "
        "colonnes manquantes : codeCommuneEtablissement."
    )
    assert Actor.objects.count() == 0


def test_import_command_truncated_zip_is_a_command_error(tmp_path):
    write_unites_legales(tmp_path / UNITS_ZIP, synthetic.generate_units(500, ess_share=0.5))
    data = (tmp_path / UNITS_ZIP).read_bytes()
    (tmp_path / UNITS_ZIP).write_bytes(data[: len(data) // 2])
    write_etablissements(tmp_path / ESTABLISHMENTS_ZIP, [establishment_row(siret(SIREN_A))])

    with pytest.raises(CommandError) as caught:
        command(tmp_path)

    assert str(caught.value) == (
        "Le fichier StockUniteLegale_utf8.zip est une archive zip tronquée ou corrompue "
        "(lecture interrompue à la ligne 1)."
    )
    assert (Actor.objects.count(), Establishment.objects.count()) == (0, 0)


def test_import_bad_byte_keeps_the_batches_written_and_a_rerun_completes(tmp_path):
    sirens = [synthetic_siren(n) for n in range(1, 101)]
    units_path = tmp_path / "StockUniteLegale_utf8.csv"
    establishments_path = tmp_path / "StockEtablissement_utf8.csv"
    write_unites_legales(units_path, [unit_row(siren) for siren in sirens])
    write_etablissements(establishments_path, [establishment_row(siret(s)) for s in sirens])
    good = establishments_path.read_bytes()
    lines = good.split(b"\n")
    lines[90] = lines[90].replace(b"NANCY", b"NANCY\xff")  # far past the first read
    establishments_path.write_bytes(b"\n".join(lines))

    with pytest.raises(SireneImportError) as caught:
        import_sirene(units=units_path, establishments=establishments_path, batch_size=10)

    assert str(caught.value) == (
        "Le fichier StockEtablissement_utf8.csv n'est pas encodé en UTF-8 "
        "(octet invalide à la ligne 91)."
    )
    # Whole batches only, read before the bad chunk; nothing closed nor archived.
    written = Establishment.objects.count()
    assert (written % 10, 0 < written < 90, Actor.objects.count()) == (0, True, written)

    establishments_path.write_bytes(good)
    report = import_sirene(units=units_path, establishments=establishments_path, batch_size=10)

    assert (Actor.objects.count(), Establishment.objects.count()) == (100, 100)
    assert (report.establishments.created, report.establishments.unchanged) == (
        100 - written,
        written,
    )


# Idempotence


def test_import_second_run_writes_nothing(tmp_path):
    units = [unit_row(SIREN_A), unit_row(SIREN_B)]
    rows = [
        establishment_row(siret(SIREN_A)),
        branch(SIREN_A, 1, **METZ),
        establishment_row(siret(SIREN_B), **NANTERRE),
    ]
    run(tmp_path, units, rows)
    before = list(Actor.objects.order_by("pk").values_list("pk", "updated_at"))
    before += list(Establishment.objects.order_by("pk").values_list("pk", "updated_at"))

    with CaptureQueriesContext(connection) as queries:
        report = run(tmp_path, units, rows)

    after = list(Actor.objects.order_by("pk").values_list("pk", "updated_at"))
    after += list(Establishment.objects.order_by("pk").values_list("pk", "updated_at"))
    assert sirene_writes(queries.captured_queries) == []
    assert after == before
    assert (report.changes, report.actors.unchanged, report.establishments.unchanged) == (0, 2, 3)


def test_import_dry_run_writes_nothing(tmp_path):
    with CaptureQueriesContext(connection) as queries:
        report = run(
            tmp_path,
            [unit_row(SIREN_A), unit_row(SIREN_B)],
            [
                establishment_row(siret(SIREN_A)),
                branch(SIREN_A, 1, **METZ),
                establishment_row(siret(SIREN_B)),
            ],
            dry_run=True,
            batch_size=1,
        )

    assert sirene_writes(queries.captured_queries) == []
    assert (Actor.objects.count(), Establishment.objects.count()) == (0, 0)
    assert (report.actors.created, report.establishments.created) == (2, 3)
    assert report.summary().startswith("(simulation : rien n'a été écrit) Structures : 2 créées")


def test_import_dry_run_counts_closures_and_archives(tmp_path):
    run(
        tmp_path,
        [unit_row(SIREN_A), unit_row(SIREN_B)],
        [
            establishment_row(siret(SIREN_A)),
            establishment_row(siret(SIREN_B)),
        ],
    )

    report = run(
        tmp_path,
        [unit_row(SIREN_A)],
        [establishment_row(siret(SIREN_A), trancheEffectifsEtablissement="21")],
        dry_run=True,
    )

    assert (report.archived, report.closed, report.establishments.updated) == (1, 1, 1)
    assert list(Actor.objects.values_list("status", flat=True)) == ["published", "published"]
    assert list(Establishment.objects.values_list("is_active", "employees_band")) == [
        (True, "11"),
        (True, "11"),
    ]
