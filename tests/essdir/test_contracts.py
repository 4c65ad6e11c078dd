"""Each list's public contract is declared once: its FilterSet (the filters), its export (the
columns and the row builder). The API derives its query parameters and its rows' schema from
them (essdir/api.py); the registries that name a list (the export views, DATASETS, KINDS,
alerts' SECTIONS) must name one whose FilterSet and export agree. These tests fail when two
copies drift apart."""

import json

import pytest
from django.urls import resolve, reverse

from alerts.searches import SECTIONS
from essdir.api import LISTS, api
from essdir.data import DATASETS
from essdir.search import KINDS
from tests.factories import ActorFactory, EstablishmentFactory

pytestmark = pytest.mark.django_db

PAGINATION = ["page_size", "cursor"]
# Each list of the site: its page and its exports, by URL name.
SITE_LISTS = {
    "acteurs": ("actors:list", "actors:export"),
    "dispositifs": ("territories:scheme_list", "territories:scheme_export"),
    "collectivites": ("territories:collectivite_list", "territories:collectivite_export"),
    "evenements": ("events:list", "events:export"),
    "subventions": ("grants:comparison", "grants:export"),
    # Lists without a page of their own: the territory pages and the contact finder show
    # the services serving a place (support/partials.py).
    "accompagnement": (None, "support:export"),
    "accompagnement-structures": (None, "support:structure_export"),
}


@pytest.fixture(scope="module")
def openapi():
    """The description /api/openapi.json serves."""
    schema = api.get_openapi_schema(path_prefix="/api/")
    return json.loads(api.renderer.render(None, schema, response_status=200))


def view_class(url_name: str):
    return resolve(reverse(url_name)).func.view_class


def operation(openapi, slug: str) -> dict:
    return openapi["paths"][f"/api/{slug}/"]["get"]


def row_properties(openapi, slug: str) -> dict:
    """The properties of the rows the API documents for /api/<slug>/."""
    schemas = openapi["components"]["schemas"]
    paged = operation(openapi, slug)["responses"]["200"]["content"]["application/json"]["schema"]
    results = schemas[paged["$ref"].rsplit("/", 1)[1]]["properties"]["results"]
    return schemas[results["items"]["$ref"].rsplit("/", 1)[1]]["properties"]


def test_the_api_serves_every_list_of_the_site_and_nothing_else(openapi):
    assert [api_list.slug for api_list in LISTS] == list(SITE_LISTS)
    assert set(openapi["paths"]) == {f"/api/{slug}/" for slug in SITE_LISTS}


@pytest.mark.parametrize("api_list", LISTS, ids=lambda api_list: api_list.slug)
def test_the_apis_rows_are_the_exports_columns_in_order(openapi, api_list):
    assert list(row_properties(openapi, api_list.slug)) == api_list.export.column_names


@pytest.mark.parametrize("api_list", LISTS, ids=lambda api_list: api_list.slug)
def test_the_apis_parameters_are_the_filtersets_filters_then_the_pagination(openapi, api_list):
    names = [parameter["name"] for parameter in operation(openapi, api_list.slug)["parameters"]]

    assert names == [*api_list.filterset_class.base_filters, *PAGINATION]


@pytest.mark.parametrize("api_list", LISTS, ids=lambda api_list: api_list.slug)
def test_every_accepted_parameter_is_documented_with_a_description(openapi, api_list):
    parameters = operation(openapi, api_list.slug)["parameters"]

    undocumented = [p["name"] for p in parameters if len(p.get("description", "")) < 10]
    assert undocumented == []
    assert all(p["in"] == "query" and p["required"] is False for p in parameters)


def test_the_map_zone_and_the_order_are_documented(openapi):
    actors = operation(openapi, "acteurs")
    parameters = {p["name"]: p["description"] for p in actors["parameters"]}

    assert "ouest,sud,est,nord" in parameters["bbox"]
    assert "`-nom`" in parameters["tri"]
    assert "identifiant croissant" in parameters["tri"]
    assert "400" in parameters["cursor"]
    assert actors["responses"]["400"]["description"].startswith("Filtre invalide")


def test_the_documented_parameters_are_applied_map_zone_included(client):
    ActorFactory(name="Sans établissement")
    EstablishmentFactory(actor__name="Sur la carte", longitude=6.18, latitude=48.69)

    zone = client.get("/api/acteurs/", {"bbox": "6,48,7,49"}).json()["results"]
    bad_zone = client.get("/api/acteurs/", {"bbox": "nord"})
    bad_order = client.get("/api/acteurs/", {"tri": "hasard"})

    assert [row["nom"] for row in zone] == ["Sur la carte"]
    assert bad_zone.status_code == bad_order.status_code == 400
    assert bad_zone.json()["detail"].startswith("Paramètres invalides : La zone doit")


def test_an_undocumented_parameter_is_ignored_as_on_the_lists(client):
    ActorFactory(name="Envie")

    plain = client.get("/api/acteurs/")
    extra = client.get("/api/acteurs/", {"inconnu": "1", "utm_source": "lettre"})
    page = client.get("/acteurs/", {"inconnu": "1", "utm_source": "lettre"})

    assert extra.status_code == plain.status_code == page.status_code == 200
    assert extra.json()["results"] == plain.json()["results"]


@pytest.mark.parametrize("api_list", LISTS, ids=lambda api_list: api_list.slug)
def test_the_lists_page_exports_and_api_share_one_filterset_and_one_export(api_list):
    list_name, export_name = SITE_LISTS[api_list.slug]
    exports = [view_class(f"{export_name}_{suffix}") for suffix in ("csv", "json")]

    if list_name is not None:
        assert view_class(list_name).filterset_class is api_list.filterset_class
    for export_view in exports:
        assert export_view.filterset_class is api_list.filterset_class
        assert export_view.export is api_list.export
        assert export_view().get_queryset().model is api_list.records().model
    assert api_list.export.name == api_list.slug


@pytest.mark.parametrize("dataset", DATASETS, ids=lambda dataset: dataset.slug)
def test_each_dataset_names_a_list_whose_export_and_records_agree(dataset):
    api_list = next(a for a in LISTS if a.slug == dataset.slug)
    export_name = SITE_LISTS[dataset.slug][1]

    assert dataset.export == export_name
    assert view_class(f"{dataset.export}_csv").export is api_list.export
    assert dataset.records().model is api_list.records().model
    assert dataset.schema_url.startswith("https://")


def test_each_search_kind_with_a_list_names_a_list_of_its_records():
    # Grants are no search result: their page compares collectivités.
    by_list_name = {
        names[0]: slug
        for slug, names in SITE_LISTS.items()
        if slug != "subventions" and names[0] is not None
    }
    listed = [kind for kind in KINDS if kind.list_url]

    assert {kind.list_url for kind in listed} == set(by_list_name)
    for kind in listed:
        filterset_class = view_class(kind.list_url).filterset_class
        assert kind.queryset().model is filterset_class._meta.model


def test_each_alert_section_names_a_list_with_the_same_filterset_and_records():
    assert set(SECTIONS) <= set(SITE_LISTS)
    for key, section in SECTIONS.items():
        list_name = SITE_LISTS[key][0]
        api_list = next(a for a in LISTS if a.slug == key)

        assert section.url_name == list_name
        assert section.filterset_class is view_class(list_name).filterset_class
        assert section.filterset_class is api_list.filterset_class
        assert section.records().model is api_list.records().model
