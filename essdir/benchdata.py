"""A realistic national dataset for benchmarks, built on the real geography and seed data.

Never seed data: every generated record has a slug starting with `gen-`, so that it can be
told apart, replaced on a second run, and never mistaken for a real one.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from actors.models import Actor, ActorPartnership, Family, Subtype
from essdir.seed import DEFAULT_SEED_DIR
from events.models import Event, EventKind, EventParticipation
from territories.models import (
    Collectivite,
    CollectiviteKind,
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
    now = timezone.now()
    for model in (Event, Actor, Scheme, Collectivite):
        model.objects.filter(slug__startswith=PREFIX).delete()

    communes = list(
        Territory.objects.communes()
        .filter(population__gt=0)
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
    Scheme.themes.through.objects.bulk_create(
        [
            Scheme.themes.through(scheme_id=s.pk, theme_id=rng.choice(theme_list).pk)
            for s in created_schemes
        ],
        batch_size=BATCH,
    )

    picks = rng.choices(communes, weights=weights, k=actors)
    actor_rows, actor_themes = [], []
    for i, (commune_id, commune_name, _dep, _pop) in enumerate(picks):
        legal_form, activity, family, subtype, theme = rng.choice(ACTOR_PATTERNS)
        name = f"{rng.choice(NAME_OPENINGS)} – {activity} de {commune_name}"
        actor_rows.append(
            Actor(
                name=name,
                slug=f"{PREFIX}a-{i + 1}",
                short_description=f"{legal_form.capitalize()} : {activity}, {commune_name}.",
                description=f"{name} : structure de l'économie sociale et solidaire "
                f"(données générées pour les mesures de performance).",
                family=family,
                subtype=subtype,
                legal_form=legal_form,
                territory_id=commune_id,
                status=PublicationStatus.PUBLISHED,
                created_at=now - datetime.timedelta(minutes=rng.randint(0, 3 * 365 * 24 * 60)),
            )
        )
        actor_themes.append(theme)
    created_actors = []
    for start in range(0, len(actor_rows), BATCH):
        created_actors += Actor.objects.bulk_create(actor_rows[start : start + BATCH])
    Actor.themes.through.objects.bulk_create(
        [
            Actor.themes.through(actor_id=a.pk, theme_id=themes[t].pk)
            for a, t in zip(created_actors, actor_themes, strict=True)
        ],
        batch_size=BATCH,
    )
    ActorPartnership.objects.bulk_create(
        [
            ActorPartnership(actor_id=a.pk, collectivite=by_departement[dep])
            for a, (_id, _n, dep, _p) in zip(created_actors, picks, strict=True)
            if dep in by_departement and rng.random() < 0.1
        ],
        batch_size=BATCH,
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
        actors=len(created_actors),
        events=len(created_events),
    )
