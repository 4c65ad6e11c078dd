"""A realistic national dataset for benchmarks, built on the real geography and seed data.

Never seed data: every generated record has a slug starting with `gen-`, so that it can be
told apart, replaced on a second run, and never mistaken for a real one.
"""

from __future__ import annotations

import datetime
import random
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.db import connection, transaction
from django.db.models import Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.text import slugify

from actors.models import Actor, ActorPartnership, Family, Subtype
from actors.sirene import synthetic
from actors.sirene.importer import import_sirene
from essdir.seed import DEFAULT_SEED_DIR
from events.derived import refresh_event_places
from events.models import Event, EventKind, EventParticipation
from territories.derived import refresh_scheme_places
from territories.models import (
    Collectivite,
    CollectiviteKind,
    PostalCode,
    PublicationStatus,
    Scheme,
    SchemeKind,
    Territory,
    TerritoryKind,
    Theme,
)

PREFIX = "gen-"
BATCH = 5000

# Real names do not sort by theme: a name opens with any of many words.
NAME_OPENINGS = [
    "Association",
    "Les Ateliers",
    "Collectif",
    "La Maison",
    "Le Pôle",
    "Réseau",
    "Espace",
    "Initiatives",
    "Ensemble",
    "Terre",
    "Au fil de l'eau",
    "Graines",
    "Horizon",
    "Passerelle",
    "Quartiers",
    "Solid'",
    "Voisins",
    "Alliance",
    "Bien vivre",
    "Coopérative",
]
ACTOR_PATTERNS = [
    ("association", "jardins partagés", Family.ASSOCIATION, "", "alimentation"),
    ("association", "recyclerie", Family.ASSOCIATION, "", "economie-circulaire"),
    ("SCIC", "énergies citoyennes", Family.COOPERATIVE, "", "energie-renouvelable"),
    ("SCOP", "atelier coopératif", Family.COOPERATIVE, "", "creation-entreprise"),
    ("association", "chantier d'insertion", Family.ASSOCIATION, Subtype.SIAE, "insertion-emploi"),
    (
        "SAS",
        "entreprise adaptée",
        Family.ENTREPRISE_ESS,
        Subtype.ENTREPRISE_ADAPTEE,
        "insertion-emploi",
    ),
    ("mutuelle", "mutuelle solidaire", Family.MUTUELLE, "", "sante"),
    ("fondation", "habitat solidaire", Family.FONDATION, "", "habitat-vieillissement"),
    ("association", "solidarités", Family.ASSOCIATION, "", "solidarites"),
    ("association", "ressourcerie numérique", Family.ASSOCIATION, "", "inclusion-numerique"),
    ("SCIC", "mobilité partagée", Family.COOPERATIVE, "", "mobilite"),
    ("association", "théâtre populaire", Family.ASSOCIATION, "", "culture"),
    ("SAS ESUS", "épicerie solidaire", Family.ENTREPRISE_ESS, "", "alimentation"),
    ("association", "tourisme solidaire", Family.ASSOCIATION, "", "tourisme-solidaire"),
]
# INSEE legal category and NAF code of each pattern's structures, for the SIRENE files.
LEGAL_CATEGORIES = {
    "association": "9220",
    "SCIC": "5560",
    "SCOP": "5458",
    "SAS": "5710",
    "SAS ESUS": "5710",
    "mutuelle": "8210",
    "fondation": "9300",
}
NAF_CODES = {
    "jardins partagés": "01.13Z",
    "recyclerie": "38.32Z",
    "énergies citoyennes": "35.11Z",
    "atelier coopératif": "25.62B",
    "chantier d'insertion": "88.99B",
    "entreprise adaptée": "82.92Z",
    "mutuelle solidaire": "65.12Z",
    "habitat solidaire": "68.20B",
    "solidarités": "88.99B",
    "ressourcerie numérique": "95.11Z",
    "mobilité partagée": "49.39B",
    "théâtre populaire": "90.01Z",
    "épicerie solidaire": "47.11C",
    "tourisme solidaire": "79.90Z",
}
EMPLOYEES_BANDS = ["NN", "NN", "NN", "00", "01", "02", "03", "11", "12", "21"]
# The generated structures' SIRENs (synthetic.synthetic_siren(SIREN_OFFSET + i)).
SIREN_OFFSET = 60_000_000
# About one structure in seven has branches elsewhere, as in the register.
BRANCH_SHARE = 0.15

EVENT_PATTERNS = [
    ("Forum de l'emploi solidaire à {commune}", EventKind.FORUM),
    ("Rendez-vous d'affaires de l'ESS à {commune}", EventKind.RENCONTRES_AFFAIRES),
    ("Conférence : l'ESS et la transition à {commune}", EventKind.CONFERENCE),
    ("Petit-déjeuner des acteurs de l'ESS à {commune}", EventKind.PETIT_DEJEUNER),
    ("Portes ouvertes des structures d'insertion à {commune}", EventKind.PORTES_OUVERTES),
    ("Atelier financement participatif à {commune}", EventKind.ATELIER),
    ("Webinaire : créer une coopérative", EventKind.WEBINAIRE),
]
SCHEME_PATTERNS = [
    ("Appel à projets innovation sociale", SchemeKind.APPEL_A_PROJETS),
    ("Aide à l'emploi dans l'ESS", SchemeKind.AIDE_DIRECTE),
    ("Fonds de soutien aux associations", SchemeKind.FONDS),
    ("Accompagnement des porteurs de projets", SchemeKind.ACCOMPAGNEMENT),
    ("Label territoire solidaire", SchemeKind.LABEL),
]


class NotAGeneratedDatabase(Exception):
    """The database holds records that are neither seed data nor generated."""


@dataclass
class BenchReport:
    collectivites: int
    schemes: int
    actors: int
    events: int


def seed_slugs(directory: Path = DEFAULT_SEED_DIR) -> dict[str, set[str]]:
    """The slugs the seed data defines, per model."""
    collectivites, schemes = set(), set()
    for path in (directory / "collectivites").glob("*.yaml"):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        collectivites.add(doc["slug"])
        schemes.update(s.get("slug") or slugify(s["name"]) for s in doc.get("schemes") or [])
    actors = yaml.safe_load((directory / "actors.yaml").read_text(encoding="utf-8")) or []
    events = yaml.safe_load((directory / "events.yaml").read_text(encoding="utf-8")) or []
    return {
        "collectivites": collectivites,
        "schemes": schemes,
        "actors": {a.get("slug") or slugify(a["name"]) for a in actors},
        "events": {e.get("slug") or slugify(e["title"])[:140] for e in events},
    }


def foreign_records() -> dict[str, int]:
    """How many records are neither seed data nor generated, per model."""
    known = seed_slugs()
    counts = {}
    for name, model in [
        ("collectivites", Collectivite),
        ("schemes", Scheme),
        ("actors", Actor),
        ("events", Event),
    ]:
        counts[name] = (
            model.objects.exclude(slug__startswith=PREFIX).exclude(slug__in=known[name]).count()
        )
    return {name: count for name, count in counts.items() if count}


@transaction.atomic
def generate(
    *, actors: int, events: int, schemes: int, seed: int = 42, force: bool = False
) -> BenchReport:
    """Replace the generated records with a fresh national dataset of the given size."""
    if not force and (found := foreign_records()):
        raise NotAGeneratedDatabase(found)
    rng = random.Random(seed)
    for model in (Event, Actor, Scheme, Collectivite):
        model.objects.filter(slug__startswith=PREFIX).delete()

    communes = list(
        Territory.objects.communes()
        .filter(population__gt=0)
        .order_by("code")
        .values_list("pk", "name", "departement_code", "population")
    )
    weights = [population for *_rest, population in communes]
    themes = {t.slug: t for t in Theme.objects.all()}
    theme_list = list(themes.values())

    # One generated département council per département, so that schemes and events have
    # collectivités everywhere.
    departements = Territory.objects.filter(kind=TerritoryKind.DEPARTEMENT)
    generated = Collectivite.objects.bulk_create(
        Collectivite(
            name=f"Conseil départemental (données de test) – {d.name}",
            slug=f"{PREFIX}departement-{d.code.lower()}",
            kind=CollectiviteKind.DEPARTEMENT,
            territory=d,
            status=PublicationStatus.PUBLISHED,
        )
        for d in departements
    )
    by_departement = {c.territory.code: c for c in generated}

    scheme_rows = []
    collectivites = list(Collectivite.objects.all())
    today = timezone.localdate()
    for i in range(schemes):
        title, kind = rng.choice(SCHEME_PATTERNS)
        owner = rng.choice(collectivites)
        opens = today + datetime.timedelta(days=rng.randint(-400, 200))
        scheme_rows.append(
            Scheme(
                name=f"{title} – {owner.territory.name} n° {i + 1}",
                slug=f"{PREFIX}s-{i + 1}",
                kind=kind,
                collectivite=owner,
                territory_id=owner.territory_id,
                summary=f"{title} proposé par {owner.name}.",
                description="Dispositif généré pour les mesures de performance.",
                opens_on=opens,
                closes_on=opens + datetime.timedelta(days=rng.randint(20, 120)),
                status=PublicationStatus.PUBLISHED,
            )
        )
    created_schemes = Scheme.objects.bulk_create(scheme_rows, batch_size=BATCH)
    # Bulk writes send no signals: where the schemes can be reached, as a save would.
    refresh_scheme_places(scheme_ids=[scheme.pk for scheme in created_schemes])
    Scheme.themes.through.objects.bulk_create(
        [
            Scheme.themes.through(scheme_id=s.pk, theme_id=rng.choice(theme_list).pk)
            for s in created_schemes
        ],
        batch_size=BATCH,
    )

    created_actors = generate_actors(
        count=actors,
        rng=rng,
        communes=communes,
        weights=weights,
        themes=themes,
        partners=by_departement,
    )

    start_day = today.replace(month=1, day=1) - datetime.timedelta(days=365)
    event_rows, organisers = [], []
    for i, (commune_id, commune_name, dep, _pop) in enumerate(
        rng.choices(communes, weights=weights, k=events)
    ):
        pattern, kind = rng.choice(EVENT_PATTERNS)
        day = start_day + datetime.timedelta(days=rng.randint(0, 3 * 365))
        timed = rng.random() < 0.7
        event_rows.append(
            Event(
                title=pattern.format(commune=commune_name),
                slug=f"{PREFIX}e-{i + 1}",
                kind=kind,
                description="Événement généré pour les mesures de performance.",
                start_date=day,
                date_precision="day",
                start_time=datetime.time(rng.choice([9, 10, 14, 18]), 0) if timed else None,
                end_time=datetime.time(rng.choice([12, 17, 20]), 0) if timed else None,
                territory_id=commune_id,
                online=kind == EventKind.WEBINAIRE,
                mois_ess=day.month == 11,
                collectivite=by_departement.get(dep),
                status=PublicationStatus.PUBLISHED,
            )
        )
        organisers.append(by_departement.get(dep))
    created_events = Event.objects.bulk_create(event_rows, batch_size=BATCH)
    # bulk_create() sends no post_save: their places are written here.
    refresh_event_places(event_ids=[event.pk for event in created_events])
    EventParticipation.objects.bulk_create(
        [
            EventParticipation(event_id=e.pk, collectivite=c, role="organiser")
            for e, c in zip(created_events, organisers, strict=True)
            if c is not None
        ],
        batch_size=BATCH,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return BenchReport(
        collectivites=len(generated),
        schemes=len(created_schemes),
        actors=created_actors,
        events=len(created_events),
    )


def synthetic_lambert(commune_code: str, salt: int) -> dict[str, str]:
    """Made-up Lambert-93 coordinates for a generated establishment, so that the map is
    measured on located points: spread over metropolitan France's extent by a hash of the
    commune's code (the geography carries no coordinates), a few hundred metres apart.
    Overseas communes, whose INSEE columns use other projections, stay unlocated."""
    if commune_code.startswith("97"):
        return {
            "coordonneeLambertAbscisseEtablissement": "",
            "coordonneeLambertOrdonneeEtablissement": "",
        }
    spot = zlib.crc32(commune_code.encode())
    x = 150_000 + spot % 1_000_000 + (salt * 37) % 800
    y = 6_150_000 + (spot // 1_000_000) % 900_000 + (salt * 53) % 800
    return {
        "coordonneeLambertAbscisseEtablissement": f"{x:.1f}",
        "coordonneeLambertOrdonneeEtablissement": f"{y:.1f}",
    }


def generate_actors(*, count, rng, communes, weights, themes, partners) -> int:
    """National structures through the SIRENE import: write official-layout stock files
    (one ESS unit per structure, its head office in a commune drawn in proportion to
    population, branches for some), import them, then add what staff would (themes,
    partnerships, the particular types). Returns how many structures were created."""
    codes = dict(Territory.objects.communes().values_list("pk", "code"))
    postal_codes: dict[int, str] = {}
    for commune_id, code in PostalCode.objects.order_by("code").values_list("commune_id", "code"):
        postal_codes.setdefault(commune_id, code)
    picks = rng.choices(communes, weights=weights, k=count)
    patterns = [rng.choice(ACTOR_PATTERNS) for _ in range(count)]
    openings = [rng.choice(NAME_OPENINGS) for _ in range(count)]
    branches = [
        rng.choices(communes, weights=weights, k=rng.randint(1, 3))
        if rng.random() < BRANCH_SHARE
        else []
        for _ in range(count)
    ]
    sirens = [synthetic.synthetic_siren(SIREN_OFFSET + i) for i in range(count)]

    def units():
        for i, ((_pk, commune_name, _dep, _pop), pattern) in enumerate(
            zip(picks, patterns, strict=True)
        ):
            legal_form, activity, _family, _subtype, _theme = pattern
            category = LEGAL_CATEGORIES[legal_form]
            yield synthetic.unit_row(
                sirens[i],
                denominationUniteLegale=f"{openings[i]} – {activity} de {commune_name}",
                categorieJuridiqueUniteLegale=category,
                activitePrincipaleUniteLegale=NAF_CODES[activity],
                identifiantAssociationUniteLegale=f"W{i:09d}" if category == "9220" else "",
                trancheEffectifsUniteLegale=EMPLOYEES_BANDS[i % len(EMPLOYEES_BANDS)],
                dateCreationUniteLegale=f"{1950 + i % 75}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                nicSiegeUniteLegale=synthetic.synthetic_siret(sirens[i], 0)[9:],
            )

    def establishments():
        for i, (head, others) in enumerate(zip(picks, branches, strict=True)):
            for rank, (commune_id, commune_name, _dep, _pop) in enumerate([head, *others]):
                yield synthetic.establishment_row(
                    synthetic.synthetic_siret(sirens[i], rank),
                    etablissementSiege="true" if rank == 0 else "false",
                    codeCommuneEtablissement=codes[commune_id],
                    codePostalEtablissement=postal_codes.get(commune_id, ""),
                    libelleCommuneEtablissement=commune_name.upper(),
                    trancheEffectifsEtablissement=EMPLOYEES_BANDS[(i + rank) % 10],
                    numeroVoieEtablissement=str(1 + (i + rank) % 120),
                    **synthetic_lambert(codes[commune_id], i + rank),
                    identifiantAdresseEtablissement="",
                )

    with tempfile.TemporaryDirectory(prefix="essdir-bench-sirene-") as directory:
        units_path = Path(directory) / "StockUniteLegale_utf8.zip"
        establishments_path = Path(directory) / "StockEtablissement_utf8.zip"
        synthetic.write_unites_legales(units_path, units())
        synthetic.write_etablissements(establishments_path, establishments())
        report = import_sirene(units=units_path, establishments=establishments_path)

    # Generated records are told apart by their slug.
    for start in range(0, count, BATCH):
        Actor.objects.filter(siren__in=sirens[start : start + BATCH]).exclude(
            slug__startswith=PREFIX
        ).update(slug=Concat(Value(PREFIX), "slug"))
    ids = dict(
        Actor.objects.filter(slug__startswith=PREFIX, siren__gt="")
        .order_by()
        .values_list("siren", "pk")
    )
    actor_ids = [ids[siren] for siren in sirens]
    by_subtype: dict[str, list[int]] = {}
    for actor_id, (_form, _activity, _family, subtype, _theme) in zip(
        actor_ids, patterns, strict=True
    ):
        if subtype:
            by_subtype.setdefault(subtype, []).append(actor_id)
    for subtype, members in by_subtype.items():
        for start in range(0, len(members), BATCH):
            Actor.objects.filter(pk__in=members[start : start + BATCH]).update(subtype=subtype)
    Actor.themes.through.objects.bulk_create(
        [
            Actor.themes.through(actor_id=actor_id, theme_id=themes[pattern[4]].pk)
            for actor_id, pattern in zip(actor_ids, patterns, strict=True)
        ],
        batch_size=BATCH,
    )
    ActorPartnership.objects.bulk_create(
        [
            ActorPartnership(actor_id=actor_id, collectivite=partners[dep])
            for actor_id, (_id, _n, dep, _p) in zip(actor_ids, picks, strict=True)
            if dep in partners and rng.random() < 0.1
        ],
        batch_size=BATCH,
    )
    return report.actors.created
