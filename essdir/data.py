"""The datasets essdir publishes, for the reusers' page (/donnees/) and its DCAT catalogue."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import F, Max
from django.http import QueryDict
from django.template.defaultfilters import filesizeformat
from django.urls import resolve, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from actors.models import Actor
from core import downloads
from core.caching import content_version, memoize_by_content
from events.models import Event
from grants import schema as grants_schema
from grants.models import Grant
from support.exports import SCHEMA_URL as SUPPORT_SCHEMA_URL
from support.models import SupportService, SupportStructure
from territories.models import Collectivite, Scheme

LICENCE = _("Licence Ouverte 2.0 (Etalab)")
LICENCE_URL = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"


@dataclass(frozen=True)
class Part:
    """A narrower selection its list shows by default, counted and exported apart: the
    agenda's upcoming events."""

    label: str
    params: tuple[tuple[str, str], ...]


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
    parts: tuple[Part, ...] = ()

    def records(self):
        return self.queryset()

    @property
    def view_class(self):
        """The list's export view (core.export_views.ExportView): its FilterSet and export."""
        return _view_class(f"{self.export}_csv")

    @property
    def everything(self) -> dict:
        """The query that selects the whole dataset from its export (`periode=tous`)."""
        return dict(self.view_class.export.everything)

    def rows(self, params: dict | None = None):
        """What the export gives for `params` (the whole dataset by default): the list's
        FilterSet over the exported records, so that a count is its download's rows."""
        query = QueryDict(urlencode(self.everything if params is None else params))
        return self.view_class().filter(query).qs

    def url(self, file_format: str, params: dict | None = None) -> str:
        """The streamed export of the whole dataset (or of `params`): French data, at its
        unprefixed address whatever the page's language."""
        with translation.override(settings.LANGUAGE_CODE):
            path = reverse(f"{self.export}_{file_format}")
        query = urlencode(self.everything if params is None else params)
        return f"{path}?{query}" if query else path

    @property
    def url_csv(self) -> str:
        return self.url("csv")

    @property
    def url_json(self) -> str:
        return self.url("json")


@functools.cache
def _view_class(url_name: str):
    return resolve(reverse(url_name)).func.view_class


# The support services and the grants are others' data: each names whom to credit.
SUPPORT_CREDIT = _(
    "Licence Ouverte 2.0 (Etalab) : données de data·inclusion et du producteur que nomme "
    "la colonne source de chaque ligne, à citer avec sa date (date_maj)"
)

DATASETS = [
    Dataset(
        slug="acteurs",
        title=_("Structures de l'économie sociale et solidaire"),
        description=_(
            "Associations, coopératives, mutuelles, fondations et entreprises de l'ESS : celles "
            "que les sources des collectivités citent et celles du répertoire SIRENE de l'Insee "
            "(unités actives de l'ESS et leurs établissements ouverts), avec leurs thèmes."
        ),
        schema=_("data·inclusion structure v1 (1.0.8), suivi de colonnes ESS"),
        schema_url="https://www.data.inclusion.gouv.fr/",
        queryset=lambda: Actor.objects.published(),
        export="actors:export",
        licence=_("Licence Ouverte 2.0 (Etalab) ; faits SIRENE : conditions de l'Insee"),
    ),
    Dataset(
        slug="dispositifs",
        title=_("Dispositifs de soutien à l'ESS des collectivités"),
        description=_(
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
        title=_("Collectivités engagées pour l'ESS"),
        description=_(
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
        title=_("Agenda de l'ESS dans les territoires"),
        description=_(
            "Forums, rendez-vous d'affaires, conférences et rencontres de l'économie sociale "
            "et solidaire : tout l'agenda, passé et à venir (la liste du site et son export "
            "montrent par défaut les événements à venir)."
        ),
        schema=_("Champs d'OpenAgenda (pas de schéma national)"),
        schema_url="https://developers.openagenda.com/",
        queryset=lambda: Event.objects.published(),
        export="events:export",
        parts=(Part(label=_("à venir"), params=(("periode", "a-venir"),)),),
    ),
    Dataset(
        slug="accompagnement",
        title=_("Services d'accompagnement à la création et au développement d'activités"),
        description=_(
            "Les services que data·inclusion publie pour créer ou développer une activité "
            "(et ceux des structures de l'ESS), avec leur zone d'éligibilité, leurs modes "
            "d'accès et leur contact, tels que leurs producteurs les publient ; la colonne "
            "structure_id renvoie au jeu des structures d'accompagnement."
        ),
        schema="data·inclusion service (1.0.8)",
        schema_url=SUPPORT_SCHEMA_URL,
        queryset=lambda: SupportService.objects.annotate(updated_at=F("imported_at")),
        export="support:export",
        licence=SUPPORT_CREDIT,
    ),
    Dataset(
        slug="accompagnement-structures",
        title=_("Structures d'accompagnement"),
        description=_(
            "Les structures qui portent ces services d'accompagnement, telles que "
            "data·inclusion les publie."
        ),
        schema="data·inclusion structure (1.0.8)",
        schema_url=SUPPORT_SCHEMA_URL,
        queryset=lambda: SupportStructure.objects.annotate(updated_at=F("imported_at")),
        export="support:structure_export",
        licence=SUPPORT_CREDIT,
    ),
    Dataset(
        slug="subventions",
        title=_("Subventions des collectivités"),
        description=_(
            "Les subventions que les collectivités publient dans le schéma SCDL, telles "
            "qu'importées de leurs fichiers publiés : jamais celles versées à des personnes "
            "physiques."
        ),
        schema=grants_schema.NAME,
        schema_url=grants_schema.SCHEMA_URL,
        queryset=lambda: Grant.objects.public().annotate(updated_at=F("file__updated_at")),
        export="grants:export",
        licence=_(
            "Licence Ouverte 2.0 (Etalab) : données publiées par chaque collectivité "
            "attribuante (colonne nomAttribuant)"
        ),
    ),
]


def dataset_facts(dataset: Dataset) -> dict:
    """What /donnees/ and the catalogue say of `dataset`: its rows (those of its streamed
    export of everything, and of each part), last update, whether its export streams
    within the bound, and its national files as last built (with their own rows)."""
    bound = settings.EXPORT_STREAM_MAX_ROWS
    # Counted once per content version in each process: a count of every public structure
    # reads 200 000 index entries, and only a write to the directory can change it.
    counts = memoize_by_content(
        # The date too: the upcoming events' part changes at midnight.
        ("dataset facts", dataset.slug, timezone.localdate()),
        lambda: {
            "count": dataset.rows().count(),
            "updated_at": dataset.records().aggregate(last=Max("updated_at"))["last"],
            "parts": [dataset.rows(dict(part.params)).count() for part in dataset.parts],
        },
        content_version(),
    )
    count = counts["count"]
    manifest = downloads.read_manifest()
    built = [manifest.get(downloads.public_name(dataset.slug, f)) for f in downloads.FORMATS]
    files = [
        {
            "file": file,
            "label": f"{file.format.upper()} (gzip)",
            "url": file.url,
            "size": filesizeformat(file.bytes),
            "sha256": file.sha256,
        }
        for file in built
        if file is not None
    ]
    return {
        "dataset": dataset,
        "count": count,
        "updated_at": counts["updated_at"],
        "bound": bound,
        "streamable": count <= bound,
        "url_csv": dataset.url_csv,
        "url_json": dataset.url_json,
        "parts": [
            {
                "label": part.label,
                "count": part_count,
                "streamable": part_count <= bound,
                "url_csv": dataset.url("csv", dict(part.params)),
                "url_json": dataset.url("json", dict(part.params)),
            }
            for part, part_count in zip(dataset.parts, counts["parts"], strict=True)
        ],
        "files": files,
        "built_at": timezone.localtime(files[0]["file"].built_at) if files else None,
        "built_rows": files[0]["file"].rows if files else None,
    }


def dcat_catalogue(facts: list[dict], base: str) -> dict:
    """A DCAT-AP catalogue of the datasets, as JSON-LD: in French (dct:language), whatever
    the page's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return _dcat_catalogue(facts, base)


def _dcat_catalogue(facts: list[dict], base: str) -> dict:
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
                "dct:title": str(dataset.title),
                "dct:description": str(dataset.description),
                "dct:publisher": publisher,
                "dct:license": {"@id": dataset.licence_url},
                "dct:conformsTo": {"@id": dataset.schema_url, "rdfs:label": str(dataset.schema)},
                **({"dct:modified": modified} if modified else {}),
                "dcat:landingPage": {"@id": f"{base}/donnees/"},
                "dcat:distribution": _distributions(fact, base),
            }
        )
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
            "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
            "spdx": "http://spdx.org/rdf/terms#",
        },
        "@id": f"{base}/donnees/catalogue.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": "essdir — données ouvertes de l'ESS dans les territoires",
        "dct:description": "Les jeux de données de l'annuaire essdir, en licence ouverte.",
        "dct:publisher": publisher,
        "dct:language": {"@id": "http://publications.europa.eu/resource/authority/language/FRA"},
        "dcat:dataset": datasets,
    }


def _distributions(fact: dict, base: str) -> list[dict]:
    """The national files as built (size, date, checksum), then the streamed export of the
    whole dataset when it streams within the bound (or while no file is built)."""
    dataset = fact["dataset"]
    found = []
    for entry in fact["files"]:
        file = entry["file"]
        found.append(
            {
                "@type": "dcat:Distribution",
                "dct:title": f"{dataset.title} ({file.format.upper()}, fichier complet gzip)",
                "dcat:accessURL": {"@id": base + file.url},
                "dcat:downloadURL": {"@id": base + file.url},
                "dcat:mediaType": file.media_type,
                "dcat:compressFormat": "application/gzip",
                "dct:format": file.format.upper(),
                "dcat:byteSize": file.bytes,
                "spdx:checksum": {
                    "@type": "spdx:Checksum",
                    "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
                    "spdx:checksumValue": file.sha256,
                },
                "dct:modified": file.built_at.isoformat(),
                "dct:license": {"@id": dataset.licence_url},
            }
        )
    if fact["streamable"] or not found:
        found += [
            {
                "@type": "dcat:Distribution",
                "dct:title": f"{dataset.title} ({file_format.upper()}, export en direct)",
                "dcat:accessURL": {"@id": base + dataset.url(file_format)},
                "dcat:downloadURL": {"@id": base + dataset.url(file_format)},
                "dcat:mediaType": media_type,
                "dct:format": file_format.upper(),
                "dct:license": {"@id": dataset.licence_url},
            }
            for file_format, media_type in downloads.MEDIA_TYPES.items()
        ]
    return found
