"""The datasets essdir publishes, for the reusers' page (/donnees/) and its DCAT catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Max
from django.urls import reverse

from actors.models import Actor
from events.models import Event
from territories.models import Collectivite, Scheme

LICENCE = "Licence Ouverte 2.0 (Etalab)"
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"


@dataclass(frozen=True)
class Dataset:
    slug: str
    title: str
    description: str
    schema: str
    schema_url: str
    queryset: object
    export: str  # URL name without the _csv / _json suffix
    licence: str = LICENCE
    licence_url: str = LICENCE_URL

    def records(self):
        return self.queryset()

    def url(self, file_format: str) -> str:
        return reverse(f"{self.export}_{file_format}")

    @property
    def url_csv(self) -> str:
        return self.url("csv")

    @property
    def url_json(self) -> str:
        return self.url("json")


DATASETS = [
    Dataset(
        slug="acteurs",
        title="Structures de l'économie sociale et solidaire",
        description=(
            "Associations, coopératives, mutuelles, fondations et entreprises de l'ESS : celles "
            "que les sources des collectivités citent et celles du répertoire SIRENE de l'Insee "
            "(unités actives de l'ESS et leurs établissements ouverts), avec leurs thèmes."
        ),
        schema="data·inclusion structure v1 (1.0.8), suivi de colonnes ESS",
        schema_url="https://www.data.inclusion.gouv.fr/",
        queryset=lambda: Actor.objects.published(),
        export="actors:export",
        licence="Licence Ouverte 2.0 (Etalab) ; faits SIRENE : conditions de l'Insee",
    ),
    Dataset(
        slug="dispositifs",
        title="Dispositifs de soutien à l'ESS des collectivités",
        description=(
            "Appels à projets, aides, fonds, labels et accompagnements que les collectivités "
            "proposent aux acteurs de l'économie sociale et solidaire, avec leurs financeurs "
            "et leur territoire d'éligibilité."
        ),
        schema="dispositif-aide 0.2.0",
        schema_url="https://schema.data.gouv.fr/etalab/schema-dispositif-aide/",
        queryset=lambda: Scheme.objects.published(),
        export="territories:scheme_export",
    ),
    Dataset(
        slug="collectivites",
        title="Collectivités engagées pour l'ESS",
        description=(
            "Les collectivités de l'annuaire (régions, départements, intercommunalités, "
            "communes, pays et PETR), avec leurs codes géographiques."
        ),
        schema="collectivites 0.1.0",
        schema_url="https://schema.data.gouv.fr/betagouv/collectivites/",
        queryset=lambda: Collectivite.objects.published(),
        export="territories:collectivite_export",
    ),
    Dataset(
        slug="evenements",
        title="Agenda de l'ESS dans les territoires",
        description=(
            "Forums, rendez-vous d'affaires, conférences et rencontres de l'économie sociale "
            "et solidaire (à venir par défaut ; « periode=tous » pour tout l'agenda)."
        ),
        schema="Champs d'OpenAgenda (pas de schéma national)",
        schema_url="https://developers.openagenda.com/",
        queryset=lambda: Event.objects.published(),
        export="events:export",
    ),
]


def dataset_facts(dataset: Dataset) -> dict:
    """Row count and last update of `dataset`, for its description."""
    records = dataset.records()
    return {
        "dataset": dataset,
        "count": records.count(),
        "updated_at": records.aggregate(last=Max("updated_at"))["last"],
    }


def dcat_catalogue(facts: list[dict], base: str) -> dict:
    """A DCAT-AP catalogue of the datasets, as JSON-LD."""
    publisher = {"@type": "foaf:Organization", "foaf:name": "essdir"}
    datasets = []
    for fact in facts:
        dataset = fact["dataset"]
        modified = fact["updated_at"].isoformat() if fact["updated_at"] else None
        datasets.append(
            {
                "@id": f"{base}/donnees/#{dataset.slug}",
                "@type": "dcat:Dataset",
                "dct:identifier": f"essdir-{dataset.slug}",
                "dct:title": dataset.title,
                "dct:description": dataset.description,
                "dct:publisher": publisher,
                "dct:license": {"@id": dataset.licence_url},
                "dct:conformsTo": {"@id": dataset.schema_url, "rdfs:label": dataset.schema},
                **({"dct:modified": modified} if modified else {}),
                "dcat:landingPage": {"@id": f"{base}/donnees/"},
                "dcat:distribution": [
                    {
                        "@type": "dcat:Distribution",
                        "dct:title": f"{dataset.title} ({file_format.upper()})",
                        "dcat:accessURL": {"@id": base + dataset.url(file_format)},
                        "dcat:downloadURL": {"@id": base + dataset.url(file_format)},
                        "dcat:mediaType": media_type,
                        "dct:format": file_format.upper(),
                        "dct:license": {"@id": dataset.licence_url},
                    }
                    for file_format, media_type in (
                        ("csv", "text/csv"),
                        ("json", "application/json"),
                    )
                ],
            }
        )
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        },
        "@id": f"{base}/donnees/catalogue.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": "essdir — données ouvertes de l'ESS dans les territoires",
        "dct:description": "Les jeux de données de l'annuaire essdir, en licence ouverte.",
        "dct:publisher": publisher,
        "dct:language": {"@id": "http://publications.europa.eu/resource/authority/language/FRA"},
        "dcat:dataset": datasets,
    }
