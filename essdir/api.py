"""The read-only JSON API: the lists' data in the national formats, with the lists' filters.

Built with django-ninja (OpenAPI 3 at /api/openapi.json, documentation at /api/docs/).
Anonymous, rate-limited per address, open to other origins for GET; cursor pagination, so
that deep pages stay as cheap as the first.
"""

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from ninja import NinjaAPI, Query, Schema
from ninja.errors import HttpError
from ninja.pagination import CursorPagination, paginate
from ninja.throttling import AnonRateThrottle

from actors.exports import ACTORS
from actors.filters import ActorFilterSet
from actors.models import Actor
from core.views import invalid_parameters
from events.exports import EVENTS
from events.filters import EventFilterSet
from events.models import Event
from territories.exports import COLLECTIVITES, SCHEMES
from territories.filters import CollectiviteFilterSet, SchemeFilterSet
from territories.models import Collectivite, Scheme


class AddressThrottle(AnonRateThrottle):
    """API_RATE requests per address; counted in the pages cache (Redis when configured),
    never in the database."""

    def __init__(self):
        # The rate is read at each request (settings may change), not once at start-up.
        pass

    @property
    def rate(self) -> str:
        return settings.API_RATE

    @property
    def num_requests(self) -> int:
        return self.parse_rate(self.rate)[0]

    @property
    def duration(self) -> int:
        return self.parse_rate(self.rate)[1]

    @property
    def cache(self):
        return caches["pages"]


class Error(Schema):
    detail: str


class InvalidParameters(Schema):
    """Parameters of the wrong type (django-ninja's validation errors)."""

    detail: list[dict]


class Filters(Schema):
    q: str | None = None
    territoire: str | None = None


class CollectiviteFilters(Filters):
    kind: str | None = None
    region: str | None = None
    departement: str | None = None


class SchemeFilters(Filters):
    funder: str | None = None
    kind: str | None = None
    theme: str | None = None
    ouvert: bool | None = None


class EventFilters(Filters):
    periode: str | None = None
    du: str | None = None
    au: str | None = None
    type: str | None = None
    organisateur: str | None = None
    mois_ess: bool | None = None


class ActorFilters(Filters):
    theme: str | None = None
    famille: str | None = None
    type: str | None = None
    forme: str | None = None
    reseau: str | None = None
    partenaire: str | None = None


class ActorOut(Schema):
    """data·inclusion `structure` v1, then the ESS columns."""

    source: str
    id: str
    nom: str
    date_maj: str
    siret: str | None
    adresse: str | None
    complement_adresse: str | None
    code_postal: str | None
    commune: str | None
    code_insee: str | None
    latitude: float | None
    longitude: float | None
    telephone: str | None
    courriel: str | None
    site_web: str | None
    description: str | None
    lien_source: str | None
    reseaux_porteurs: list[str] | None
    horaires_accueil: str | None
    accessibilite_lieu: str | None
    siren: str | None
    categorie_juridique: str | None
    forme_juridique: str | None
    famille_ess: str
    code_naf: str | None
    thematiques_ess: list[str]
    territoire: str | None
    nombre_etablissements_ouverts: int


class SchemeOut(Schema):
    id: str
    titre: str
    promesse: str
    description: str
    eligibilite: str
    types_aides: str
    porteurs: str
    programmes_parents: str
    url_source: str
    cibles: str
    eligibilite_geographique: str
    eligibilite_geographique_exclusions: str
    date_ouverture: str
    date_cloture: str
    date_mise_a_jour: str


class CollectiviteOut(Schema):
    id: str
    nom: str
    type: str
    codeInsee: str
    codeDepartements: list[str]
    codeRegions: list[str]
    codeEpci: str
    siren: str
    createdAt: str
    updatedAt: str


class Timing(Schema):
    begin: str
    end: str


class EventOut(Schema):
    uid: str
    title: str
    description: str
    dateLabel: str
    timings: list[Timing]
    attendanceMode: int
    status: int
    locationName: str
    locationAddress: str
    locationCity: str
    locationInsee: str
    locationArea: str
    registrationUrl: str
    url: str
    updatedAt: str


api = NinjaAPI(
    title="essdir",
    version="1",
    description=(
        "L'annuaire de l'économie sociale et solidaire dans les territoires, en lecture seule. "
        "Mêmes filtres que les listes du site ; données en licence ouverte 2.0 ; "
        "pagination par curseur (`cursor`, `page_size`)."
    ),
    urls_namespace="api",
    docs_url="/docs/",
    openapi_url="/openapi.json",
    throttle=[AddressThrottle()],
)

LIST_RESPONSES = {400: Error, 422: InvalidParameters, 429: Error}


class ExportCursorPagination(CursorPagination):
    """Ninja's cursor pagination (keyset on the id: deep pages cost what the first does),
    whose page of records is written as the export's rows (the national formats)."""

    def __init__(self, *, export, **kwargs):
        super().__init__(ordering=("pk",), page_size=50, max_page_size=200, **kwargs)
        self.export = export

    def paginate_queryset(self, queryset, pagination, request, **params):
        page = super().paginate_queryset(queryset, pagination, request, **params)
        base = request.build_absolute_uri("/").rstrip("/")
        page[self.items_attribute] = [self.export.row(r, base) for r in page[self.items_attribute]]
        return page


def filtered(filterset_class, queryset, request: HttpRequest):
    """The list's own FilterSet over `queryset`; 400 with its messages when invalid."""
    filterset = filterset_class(request.GET, queryset=queryset, request=request)
    if filterset.errors:
        raise HttpError(400, invalid_parameters(filterset))
    return filterset.qs


@api.get(
    "/acteurs/",
    response={200: list[ActorOut], **LIST_RESPONSES},
    tags=["acteurs"],
    summary="Structures de l'ESS (data·inclusion structure v1 et colonnes ESS)",
)
@paginate(ExportCursorPagination, export=ACTORS)
def actors(request, filters: Query[ActorFilters]):
    return filtered(ActorFilterSet, Actor.objects.published().for_export(), request)


@api.get(
    "/dispositifs/",
    response={200: list[SchemeOut], **LIST_RESPONSES},
    tags=["dispositifs"],
    summary="Dispositifs (schéma dispositif-aide 0.2.0)",
)
@paginate(ExportCursorPagination, export=SCHEMES)
def schemes(request, filters: Query[SchemeFilters]):
    queryset = filtered(SchemeFilterSet, Scheme.objects.published().for_export(), request)
    return queryset


@api.get(
    "/collectivites/",
    response={200: list[CollectiviteOut], **LIST_RESPONSES},
    tags=["collectivités"],
    summary="Collectivités (schéma collectivites 0.1.0)",
)
@paginate(ExportCursorPagination, export=COLLECTIVITES)
def collectivites(request, filters: Query[CollectiviteFilters]):
    queryset = filtered(
        CollectiviteFilterSet, Collectivite.objects.published().for_export(), request
    )
    return queryset


@api.get(
    "/evenements/",
    response={200: list[EventOut], **LIST_RESPONSES},
    tags=["événements"],
    summary="Événements (champs d'OpenAgenda), à venir par défaut",
)
@paginate(ExportCursorPagination, export=EVENTS)
def events(request, filters: Query[EventFilters]):
    queryset = filtered(EventFilterSet, Event.objects.published().for_list(), request)
    return queryset
