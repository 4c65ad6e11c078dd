"""The read-only JSON API: the lists' data in the national formats, with the lists' filters.

Built with django-ninja (OpenAPI 3 at /api/openapi.json, documentation at /api/docs/).
Anonymous, rate-limited per address, open to other origins for GET; cursor pagination, so
that deep pages stay as cheap as the first.

Each list's contract is declared once, elsewhere, and derived here: the query parameters
from the list's FilterSet (names, types, labels, help texts and values), the rows' schema
from its export's columns (names, order and types). The FilterSet receives only what the
API validated and documented; a parameter the API does not document is ignored, as the
lists ignore parameters they do not know.
"""

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

import django_filters
from django import forms
from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, QueryDict
from django.utils import translation
from ninja import Field, NinjaAPI, Query, Schema
from ninja.conf import settings as ninja_settings
from ninja.errors import HttpError
from ninja.pagination import CursorPagination, paginate
from ninja.throttling import AnonRateThrottle
from pydantic import create_model

from actors.exports import ACTORS
from actors.filters import ActorFilterSet
from actors.models import Actor
from core.clients import client_address
from core.exports import Export
from core.views import invalid_parameters
from events.exports import EVENTS
from events.filters import EventFilterSet
from events.models import Event
from grants.exports import GRANTS
from grants.filters import GrantFilterSet
from grants.models import Grant
from support.exports import SERVICES, STRUCTURES
from support.filters import SupportServiceFilterSet, SupportStructureFilterSet
from support.models import SupportService, SupportStructure
from territories.exports import COLLECTIVITES, SCHEMES
from territories.filters import CollectiviteFilterSet, SchemeFilterSet
from territories.models import Collectivite, Scheme

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class AddressThrottle(AnonRateThrottle):
    """API_RATE requests per address: behind the proxy, the address the proxy added, never
    what the client wrote (core.clients, as every limit per address). Counted in the pages
    cache (Redis when configured), never in the database."""

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

    def get_ident(self, request: HttpRequest) -> str:
        # Ninja's own reads the whole X-Forwarded-For: a forged first entry, rotated, was a
        # new allowance at each request.
        return client_address(request)


# What was refused and why: an invalid filter (the list's own message), an unreadable or
# inconsistent cursor, or too many requests.
class Error(Schema):
    detail: str


class InvalidParameters(Schema):
    """Parameters of the wrong type (django-ninja's validation errors)."""

    detail: list[dict]


# --- Query parameters, from the list's FilterSet ------------------------------------------

# How a filter's value designates a record, after its label.
IDENTIFIERS = {
    "slug": "son identifiant (slug)",
    "code": "son code officiel géographique (INSEE)",
}


def describe(filter_: django_filters.Filter, form_field: forms.Field, note: str = "") -> str:
    """The documentation of one query parameter, from the filter and the form field the list
    validates it with: label, help text, then the values it takes."""
    parts = [str(form_field.label)]
    if form_field.help_text:
        parts.append(str(form_field.help_text))
    if isinstance(filter_, django_filters.ModelChoiceFilter):
        # Its values are records (never read here: the description is built at start-up).
        parts.append(f"Par {IDENTIFIERS.get(filter_.extra.get('to_field_name'), 'identifiant')}.")
    elif isinstance(filter_, django_filters.OrderingFilter):
        values = [f"`{value}`" for value, _label in form_field.choices if value]
        parts.append("Valeurs : " + ", ".join(values) + " (`-` : dans l'ordre inverse).")
    elif isinstance(filter_, django_filters.ChoiceFilter):
        values = [f"`{value}` ({label})" for value, label in form_field.choices if value]
        parts.append("Valeurs : " + ", ".join(values) + ".")
    elif isinstance(filter_, django_filters.BooleanFilter):
        parts.append("`true` ou `false`.")
    elif isinstance(filter_, django_filters.DateFilter):
        parts.append("Date AAAA-MM-JJ.")
    elif getattr(form_field, "max_length", None):
        parts.append(f"Texte, {form_field.max_length} caractères au plus.")
    if note:
        parts.append(note)
    return " ".join(part if part.endswith(".") else part + "." for part in parts)


def query_schema(name: str, filterset_class, notes: dict[str, str]) -> type[Schema]:
    """The API's query parameters: the FilterSet's filters, in its order, each documented."""
    filters = filterset_class.base_filters
    if unknown := set(notes) - set(filters):
        raise ImproperlyConfigured(f"{name}: notes on parameters that are no filter: {unknown}")
    with translation.override("fr"):
        form_fields = filterset_class().form.fields
        fields = {
            key: (
                (bool if isinstance(filter_, django_filters.BooleanFilter) else str) | None,
                Field(None, description=describe(filter_, form_fields[key], notes.get(key, ""))),
            )
            for key, filter_ in filters.items()
        }
    return create_model(name, __base__=Schema, **fields)


def row_schema(name: str, export: Export) -> type[Schema]:
    """The schema of the API's rows: the export's columns, in their order and types."""
    fields = {column.name: (column.type, ...) for column in export.columns}
    return create_model(name, __base__=Schema, __doc__=export.schema, **fields)


def filter_data(filters: Schema) -> QueryDict:
    """The validated parameters as the FilterSet reads a query string."""
    data = QueryDict(mutable=True)
    for key, value in filters.model_dump(exclude_none=True).items():
        data[key] = ("true" if value else "false") if isinstance(value, bool) else value
    return data


def filtered(filterset_class, queryset, request: HttpRequest, filters: Schema):
    """The list's own FilterSet over `queryset`; 400 with its messages when invalid."""
    filterset = filterset_class(filter_data(filters), queryset=queryset, request=request)
    if filterset.errors:
        raise HttpError(400, invalid_parameters(filterset))
    return filterset.qs


# --- Cursor pagination ----------------------------------------------------------------------

POSITION = re.compile(r"[1-9][0-9]{0,18}")  # a record's id (a positive 64-bit integer)
OFFSET = re.compile(r"[0-9]{1,3}")
MAX_ID = 2**63 - 1
CURSOR_HELP = "reprenez tel quel le lien `next` ou `previous` d'une réponse de l'API"


def invalid_cursor(reason: str) -> HttpError:
    return HttpError(400, f"Curseur invalide ({reason}) : {CURSOR_HELP}.")


def check_cursor(encoded: str | None) -> None:
    """Raise a 400 unless `encoded` is a cursor this API may have written: the base64 of
    `p=<id>`, with `r=True|False` and `o=<offset>` optionally, each once. Ninja's own
    decoding lets through positions that are no id (nan, inf, dates, names), which the
    database then refuses (500), and offsets out of its bounds."""
    if not encoded:
        return
    try:
        text = base64.b64decode(encoded.encode("ascii"), validate=True).decode("ascii")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    except (ValueError, binascii.Error):  # UnicodeError included
        raise invalid_cursor("illisible : base64 d'un texte ASCII attendu") from None
    values = dict(pairs)
    if len(values) != len(pairs) or not set(values) <= {"p", "r", "o"} or "p" not in values:
        raise invalid_cursor("clés attendues : p, puis r et o facultatives, chacune une fois")
    if not POSITION.fullmatch(values["p"]) or int(values["p"]) > MAX_ID:
        raise invalid_cursor("la position doit être l'identifiant d'une ligne, entier positif")
    if values.get("r", "False") not in ("True", "False"):
        raise invalid_cursor("le sens doit être True ou False")
    offset = values.get("o", "0")
    if not OFFSET.fullmatch(offset) or int(offset) >= ninja_settings.PAGINATION_MAX_OFFSET:
        bound = ninja_settings.PAGINATION_MAX_OFFSET
        raise invalid_cursor(f"le décalage doit être un entier de 0 à {bound - 1}")


class ExportCursorPagination(CursorPagination):
    """Ninja's cursor pagination (keyset on the id: deep pages cost what the first does),
    whose page of records is written as the export's rows (the national formats)."""

    class Input(Schema):
        page_size: int | None = Field(
            None,
            description=(
                f"Lignes par page : {PAGE_SIZE} par défaut, {MAX_PAGE_SIZE} au plus "
                f"(une valeur plus grande donne {MAX_PAGE_SIZE})."
            ),
        )
        cursor: str | None = Field(
            None,
            description=(
                "La page voulue : la valeur de `cursor` dans le lien `next` ou `previous` de "
                "la réponse précédente (la première page sans curseur). Les lignes viennent "
                "par identifiant croissant. Un curseur illisible ou incohérent répond 400."
            ),
        )

    def __init__(self, *, export, **kwargs):
        super().__init__(
            ordering=("pk",), page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE, **kwargs
        )
        self.export = export

    def paginate_queryset(self, queryset, pagination, request, **params):
        check_cursor(pagination.cursor)
        page = super().paginate_queryset(queryset, pagination, request, **params)
        base = request.build_absolute_uri("/").rstrip("/")
        page[self.items_attribute] = [self.export.row(r, base) for r in page[self.items_attribute]]
        return page


# --- The lists ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiList:
    """One list of the site in the API, at /api/<slug>/."""

    slug: str
    filterset_class: type
    export: Export
    records: Callable  # its published records, with what the rows need
    schema_name: str  # of the OpenAPI components: <name>Filters, <name>Out
    operation: str  # of the operation id: essdir_api_<operation>
    tag: str
    summary: str
    # What the API adds to a filter's documentation (filter name: sentence).
    notes: dict[str, str] = field(default_factory=dict)


ORDER_NOTE = (
    "L'API donne toujours les lignes par identifiant croissant, l'ordre de sa pagination "
    "par curseur : la valeur est vérifiée (400 si inconnue) mais ne change pas l'ordre."
)

LISTS = [
    ApiList(
        "acteurs",
        ActorFilterSet,
        ACTORS,
        lambda: Actor.objects.published().for_export(),
        schema_name="Actor",
        operation="actors",
        tag="acteurs",
        summary="Structures de l'ESS (data·inclusion structure v1 et colonnes ESS)",
        notes={"tri": ORDER_NOTE},
    ),
    ApiList(
        "dispositifs",
        SchemeFilterSet,
        SCHEMES,
        lambda: Scheme.objects.published().for_export(),
        schema_name="Scheme",
        operation="schemes",
        tag="dispositifs",
        summary="Dispositifs (schéma dispositif-aide 0.2.0)",
    ),
    ApiList(
        "collectivites",
        CollectiviteFilterSet,
        COLLECTIVITES,
        lambda: Collectivite.objects.published().for_export(),
        schema_name="Collectivite",
        operation="collectivites",
        tag="collectivités",
        summary="Collectivités (schéma collectivites 0.1.0)",
    ),
    ApiList(
        "evenements",
        EventFilterSet,
        EVENTS,
        lambda: Event.objects.published().for_list(),
        schema_name="Event",
        operation="events",
        tag="événements",
        summary="Événements (champs d'OpenAgenda), à venir par défaut",
        notes={"periode": "`a-venir` par défaut, `tous` dès que `du` ou `au` est donné."},
    ),
    # Others' data, as imported: the SCDL « Subventions » and data·inclusion's schema.
    ApiList(
        "subventions",
        GrantFilterSet,
        GRANTS,
        lambda: Grant.objects.public(),
        schema_name="Grant",
        operation="grants",
        tag="subventions",
        summary="Subventions des collectivités (schéma SCDL Subventions 2.1.1)",
    ),
    ApiList(
        "accompagnement",
        SupportServiceFilterSet,
        SERVICES,
        lambda: SupportService.objects.select_related("structure"),
        schema_name="SupportService",
        operation="support_services",
        tag="accompagnement",
        summary=(
            "Services d'accompagnement à la création et au développement d'activités "
            "(data·inclusion service 1.0.8 ; attribution : data·inclusion et la source de "
            "chaque ligne)"
        ),
    ),
    ApiList(
        "accompagnement-structures",
        SupportStructureFilterSet,
        STRUCTURES,
        lambda: SupportStructure.objects.all(),
        schema_name="SupportStructure",
        operation="support_structures",
        tag="accompagnement",
        summary=(
            "Structures de ces services (data·inclusion structure 1.0.8 ; attribution : "
            "data·inclusion et la source de chaque ligne)"
        ),
    ),
]


api = NinjaAPI(
    title="essdir",
    version="1",
    description=(
        "L'annuaire de l'économie sociale et solidaire dans les territoires, en lecture seule. "
        "Mêmes filtres que les listes du site, chacun décrit avec ses valeurs ; un paramètre "
        "que l'API ne décrit pas est ignoré, comme sur les listes. Données en licence ouverte "
        "2.0 ; pagination par curseur (`cursor`, `page_size`). Réponses 400 : un filtre "
        "invalide ou un curseur illisible, avec le message ; 429 : trop de requêtes depuis "
        "une adresse."
    ),
    urls_namespace="api",
    docs_url="/docs/",
    openapi_url="/openapi.json",
    throttle=[AddressThrottle()],
)

LIST_RESPONSES = {400: Error, 422: InvalidParameters, 429: Error}
RESPONSE_DESCRIPTIONS = {
    "responses": {
        400: {"description": "Filtre invalide, ou curseur illisible ou incohérent"},
        422: {"description": "Paramètre d'un mauvais type (nombre, booléen)"},
        429: {"description": "Trop de requêtes depuis cette adresse"},
    }
}


def add_endpoint(api_list: ApiList) -> None:
    filters_schema = query_schema(
        f"{api_list.schema_name}Filters", api_list.filterset_class, api_list.notes
    )
    row = row_schema(f"{api_list.schema_name}Out", api_list.export)

    def endpoint(request, filters: Query[filters_schema]):
        return filtered(api_list.filterset_class, api_list.records(), request, filters)

    endpoint.__name__ = endpoint.__qualname__ = api_list.operation
    api.get(
        f"/{api_list.slug}/",
        response={200: list[row], **LIST_RESPONSES},
        tags=[api_list.tag],
        summary=api_list.summary,
        openapi_extra=RESPONSE_DESCRIPTIONS,
    )(paginate(ExportCursorPagination, export=api_list.export)(endpoint))


for api_list in LISTS:
    add_endpoint(api_list)
