"""The public pages: a structure's grants received, a collectivité's grants by year, ESS
family and theme, and the collectivités compared (by name, never by amount)."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grants.models import Grant
from tests.factories import CollectiviteFactory
from tests.grants.conftest import data, run_import
from tests.html import report, validate_html

pytestmark = pytest.mark.django_db

COMPARISON = "/collectivites/subventions/"


def first_rows(count: int, siret: str | None = None) -> bytes:
    """The valid file cut to its first `count` grants (another attribuant's with `siret`)."""
    rows = list(csv.reader(io.StringIO(data("subventions-valide.csv").decode())))
    rows = rows[: 1 + count]
    if siret:
        for row in rows[1:]:
            row[1] = siret
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_a_structure_page_lists_the_grants_it_received(client, attribuant, structures):
    run_import(data("subventions-valide.csv"), attribuant, source_url="https://example.org/s.csv")

    gardens = page(client, structures["gardens"].get_absolute_url())
    coop = page(client, structures["coop"].get_absolute_url())

    assert "Subventions reçues" in gardens
    assert gardens.index("Fonctionnement du jardin partagé") < gardens.index(
        "Projet de serre pédagogique"
    )  # the latest first
    assert "<strong>47\xa0800,20\xa0€</strong>" in gardens
    assert 'href="https://example.org/s.csv"' in gardens and "CP-2024-03-101" in gardens
    assert "14 mars 2024" in gardens and attribuant.get_absolute_url() in gardens
    # Its share of a grant shared between beneficiaries, and the whole grant.
    assert "5\xa0400,00\xa0€" in coop and "sa part d'une subvention de 12\xa0000,00\xa0€" in coop


def test_a_draft_file_and_a_beneficiary_without_identifier_stay_off_the_pages(
    client, attribuant, structures
):
    report_ = run_import(data("subventions-valide.csv"), attribuant)
    Grant.objects.filter(decision_reference="CP-2024-03-102").update(beneficiary_siret="")
    report_.grant_file.status = "draft"
    report_.grant_file.save()

    assert "Aucune subvention publiée" in page(client, structures["gardens"].get_absolute_url())
    report_.grant_file.status = "published"
    report_.grant_file.save()
    coop = page(client, structures["coop"].get_absolute_url())
    assert "Aucune subvention publiée ne lui est rattachée" in coop  # neither SIRET nor RNA


def test_a_collectivite_page_gives_its_grants_by_year_family_and_theme(
    client, attribuant, structures
):
    run_import(data("subventions-valide.csv"), attribuant)
    population = attribuant.territory.population

    html = page(client, attribuant.get_absolute_url())

    section = html[html.index('id="subventions"') :]
    section = section[: section.index("</section>")]
    assert section.index(">2024<") < section.index(">2023<")
    # 2024: 4 grants, 56 700,70 € received; 3 to ESS structures (53 200,20 €).
    assert "56\xa0700,70\xa0€" in section and "53\xa0200,20\xa0€" in section
    per_inhabitant = f"{53200.20 / population:.2f}".replace(".", ",")
    assert f"{per_inhabitant}&nbsp;€" in section
    assert "1 subvention, 3\xa0500,50\xa0€" in section  # the beneficiary no structure matched
    for label in ["Association", "Coopérative", "Alimentation durable", "Économie circulaire"]:
        assert label in section
    assert "Sans thème renseigné" in section
    assert "/collectivites/subventions/export.csv?attribuant=departement-fictif" in section
    assert f"{COMPARISON}?type=departement" in section


def test_the_comparison_is_by_type_then_name_never_by_amount(client, attribuant, structures):
    run_import(data("subventions-valide.csv"), attribuant)
    smaller = CollectiviteFactory(name="Collectivité Fictive Aval", slug="aval")
    run_import(first_rows(1, siret="99910005000015"), smaller)
    region = CollectiviteFactory(name="Région Fictive", slug="region-fictive", kind="region")
    run_import(first_rows(1, siret="99910004300028"), region)

    whole = page(client, COMPARISON)
    html = whole.split('id="results-title"', 1)[1]
    departements = page(client, COMPARISON + "?type=departement").split('id="results-title"')[1]

    assert html.index("Région Fictive") < html.index("Collectivité Fictive Aval")
    assert html.index("Collectivité Fictive Aval") < html.index("Département Fictif")
    assert "ce n'est pas un classement" in whole
    assert "Les années diffèrent : 2023, 2024." in html
    assert "Région Fictive" not in departements
    assert client.get(COMPARISON + "?annee=deux-mille").status_code == 400
    assert client.get(COMPARISON + "?type=inconnu").status_code == 400


@pytest.mark.parametrize(
    "url",
    [COMPARISON, "collectivite", "actor"],
    ids=["comparison", "collectivite", "actor"],
)
def test_the_pages_queries_do_not_grow_with_the_grants(
    client, attribuant, structures, django_assert_num_queries, settings, capsys, url
):
    settings.CACHE_MIDDLEWARE_SECONDS = 0  # every request reads the database

    def address():
        if url == "collectivite":
            return attribuant.get_absolute_url()
        if url == "actor":
            return structures["gardens"].get_absolute_url()
        return url

    run_import(first_rows(1), attribuant)
    client.get(address())  # what is read once per content version (the filters' options)
    with CaptureQueriesContext(connection) as one:
        assert client.get(address()).status_code == 200
    Grant.objects.all().delete()
    run_import(first_rows(3), attribuant)
    assert Grant.objects.count() == 3

    with django_assert_num_queries(len(one)):
        assert client.get(address()).status_code == 200
    with capsys.disabled():
        print(f"\n{url}: {len(one)} queries with 1 grant and with 3")


def test_the_pages_with_grants_are_valid_html(client, attribuant, structures):
    run_import(data("subventions-valide.csv"), attribuant, source_url="https://example.org/s.csv")
    urls = [
        COMPARISON,
        COMPARISON + "?type=departement&annee=2024",
        attribuant.get_absolute_url(),
        structures["gardens"].get_absolute_url(),
        "/en" + COMPARISON,
    ]

    pages = {url: page(client, url) for url in urls}

    errors = validate_html(pages)
    assert errors == {url: [] for url in urls}, report(errors)
