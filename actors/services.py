"""Writes with side effects on actors: public proposals and their moderation, and the
import of the SIRENE register."""

from __future__ import annotations

import datetime
import hashlib
import itertools
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.text import slugify

from actors import sirene
from actors.models import (
    MAP_CELL_DEGREES,
    Actor,
    ActorPlace,
    ActorProposal,
    Establishment,
    Family,
    MapCell,
    ProposalStatus,
    SireneState,
    TerritoryPanorama,
)
from actors.panorama import NON_EMPLOYER_BANDS, naf_section, size_group
from core.caching import bump_content_version
from territories.models import PublicationStatus, Territory, TerritoryInclusion, TerritoryKind

PROPOSALS_PER_ADDRESS = 3
PROPOSAL_WINDOW = timedelta(hours=1)


class RateLimited(Exception):
    """Too many proposals from one address."""


def hash_address(address: str) -> str:
    # Addresses are personal data: keep only a keyed hash, enough to count.
    return hashlib.sha256(f"{settings.SECRET_KEY}:{address}".encode()).hexdigest()


@transaction.atomic
def submit_proposal(*, proposal: ActorProposal, themes: list, address: str) -> ActorProposal:
    """Store a public proposal as pending, unless its address sent too many recently."""
    address_hash = hash_address(address)
    since = timezone.now() - PROPOSAL_WINDOW
    if (
        ActorProposal.objects.from_address_since(address_hash, since).count()
        >= PROPOSALS_PER_ADDRESS
    ):
        raise RateLimited
    proposal.address_hash = address_hash
    proposal.status = ProposalStatus.PENDING
    proposal.save()
    proposal.themes.set(themes)
    return proposal


def unique_slug(name: str, model=Actor) -> str:
    base = slugify(name)[:100] or "structure"
    slug, counter = base, 2
    while model.objects.filter(slug=slug).exists():
        slug = f"{base}-{counter}"
        counter += 1
    return slug


@transaction.atomic
def approve_proposal(*, proposal: ActorProposal, moderator: AbstractBaseUser) -> Actor:
    """Publish a pending proposal as an actor."""
    if proposal.status != ProposalStatus.PENDING:
        raise ValueError("Only a pending proposal can be approved.")
    actor = Actor.objects.create(
        name=proposal.name,
        slug=unique_slug(proposal.name),
        short_description=proposal.short_description,
        description=proposal.description,
        family=proposal.family,
        legal_form=proposal.legal_form,
        siren=proposal.siren,
        website=proposal.website,
        email=proposal.email,
        phone=proposal.phone,
        territory=proposal.territory,
        status=PublicationStatus.PUBLISHED,
        checked_at=timezone.localdate(),
    )
    actor.themes.set(proposal.themes.all())
    Actor.objects.filter(pk=actor.pk).refresh_search_context()
    refresh_actor_places(actor_ids=[actor.pk])
    proposal.status = ProposalStatus.APPROVED
    proposal.actor = actor
    proposal.moderated_at = timezone.now()
    proposal.moderated_by = moderator
    proposal.save(update_fields=["status", "actor", "moderated_at", "moderated_by"])
    return actor


@transaction.atomic
def set_hidden(*, actors, hidden: bool) -> int:
    """Hide structures from the directory, or show them again (kept in their history).

    Hidden structures stay hidden across SIRENE imports, which never write this field.
    """
    count = 0
    for actor in actors:
        if actor.hidden != hidden:
            actor.hidden = hidden
            actor.save(update_fields=["hidden", "updated_at"])
            count += 1
    return count


@transaction.atomic
def reject_proposal(*, proposal: ActorProposal, reason: str, moderator: AbstractBaseUser) -> None:
    """Reject a pending proposal, keeping it with its reason."""
    if proposal.status != ProposalStatus.PENDING:
        raise ValueError("Only a pending proposal can be rejected.")
    if not reason.strip():
        raise ValueError("A rejection needs a reason.")
    proposal.status = ProposalStatus.REJECTED
    proposal.rejection_reason = reason.strip()
    proposal.moderated_at = timezone.now()
    proposal.moderated_by = moderator
    proposal.save(update_fields=["status", "rejection_reason", "moderated_at", "moderated_by"])


# --- The SIRENE import ----------------------------------------------------------------------
#
# Units are read into memory first (only the ESS units, packed: a few hundred bytes each),
# then establishments are streamed in batches, each written in its own transaction: the
# actors and establishments of a batch are looked up with one query each, and only what
# differs is written. After the stream, establishments no longer seen open are marked closed
# and actors whose unit left the kept units are archived; neither is ever deleted.

BATCH_SIZE = 5000
_FIELD_SEPARATOR = "\x1f"

# What an import writes on an actor: the official facts, and the fields derived from them.
ACTOR_FACTS = (
    "official_name",
    "legal_category",
    "naf_code",
    "rna",
    "employees_band",
    "sirene_created_on",
    "sirene_processed_on",
    "sirene_state",
    "legal_form",
    "family",
)
# Written only under conditions (see _actor_changes); never any other staff field.
ACTOR_CONDITIONAL = ("name", "territory_id", "status")
_ACTOR_COLUMNS = ("pk", "siren", "sirene_imported_at", *ACTOR_FACTS, *ACTOR_CONDITIONAL)

ESTABLISHMENT_FIELDS = (
    "actor_id",
    "nic",
    "name",
    "address",
    "address_complement",
    "postal_code",
    "commune_id",
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

# Outcomes kept per row id (one byte each) while an import runs.
_UNSEEN, _UNCHANGED, _UPDATED, _CREATED = 0, 1, 2, 3


class SireneImportError(Exception):
    """The import cannot run: unreadable input or unknown area; the message is in French."""


class UnitFacts(NamedTuple):
    """What the import keeps of an ESS unit while establishments stream."""

    name: str
    legal_category: str
    naf_code: str
    rna: str
    created_on: datetime.date | None
    employees_band: str
    processed_on: datetime.date | None


def pack_unit(unit: sirene.Unit) -> bytes:
    """A unit as one compact value (a national import holds about a million of them)."""
    return _FIELD_SEPARATOR.join(
        (
            unit.name,
            unit.legal_category,
            unit.naf_code,
            unit.rna,
            unit.created_on.isoformat() if unit.created_on else "",
            unit.employees_band,
            unit.updated_at[:10],
        )
    ).encode()


def unpack_unit(packed: bytes) -> UnitFacts:
    name, category, naf, rna, created, employees, processed = packed.decode().split(
        _FIELD_SEPARATOR
    )
    return UnitFacts(
        name, category, naf, rna, _date_or_none(created), employees, _date_or_none(processed)
    )


def _date_or_none(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def commune_code_of(code: str) -> str:
    """The commune of a SIRENE commune code: municipal arrondissements of Paris, Lyon and
    Marseille (75111, 69381, 13201…) belong to their commune (75056, 69123, 13055)."""
    if "75101" <= code <= "75120":
        return "75056"
    if "69381" <= code <= "69389":
        return "69123"
    if "13201" <= code <= "13216":
        return "13055"
    return code


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, outcomes: bytearray) -> None:
        self.created += outcomes.count(_CREATED)
        self.updated += outcomes.count(_UPDATED)
        self.unchanged += outcomes.count(_UNCHANGED)


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do), and what the readers saw."""

    read: sirene.ReadReport
    dry_run: bool = False
    actors: Tally = field(default_factory=Tally)
    archived: int = 0
    reappeared: int = 0
    establishments: Tally = field(default_factory=Tally)
    closed: int = 0
    reopened: int = 0
    # Establishments kept although the directory does not know their commune, by code.
    unknown_communes: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def changes(self) -> int:
        """Rows created or changed: 0 when a second import finds nothing new."""
        return (
            self.actors.created
            + self.actors.updated
            + self.archived
            + self.establishments.created
            + self.establishments.updated
            + self.closed
        )

    def summary(self) -> str:
        """A French account of the import, for the command and the logs."""
        would = "(simulation : rien n'a été écrit) " if self.dry_run else ""
        lines = [
            f"{would}Structures : {self.actors.created} créées, {self.actors.updated} mises à "
            f"jour (dont {self.reappeared} revenues), {self.actors.unchanged} inchangées, "
            f"{self.archived} archivées (unité cessée, sortie de l'ESS ou non diffusible).",
            f"{would}Établissements : {self.establishments.created} créés, "
            f"{self.establishments.updated} mis à jour (dont {self.reopened} rouverts), "
            f"{self.establishments.unchanged} inchangés, {self.closed} fermés.",
        ]
        if self.unknown_communes:
            codes = ", ".join(
                f"{code or '(vide)'} : {count}"
                for code, count in self.unknown_communes.most_common(10)
            )
            lines.append(
                f"Commune inconnue de l'annuaire pour {self.unknown_communes.total()} "
                f"établissement(s), gardés sans commune ({codes})."
            )
        lines.append(self.read.summary())
        return "\n".join(lines)


class _Communes:
    """The communes of the directory by INSEE code: id, name, département and région."""

    def __init__(self):
        self.by_code: dict[str, tuple[int, str, str, str]] = {
            code: (pk, name, departement, region)
            for code, pk, name, departement, region in Territory.objects.communes().values_list(
                "code", "pk", "name", "departement_code", "region_code"
            )
        }

    def get(self, code: str) -> tuple[int, str] | None:
        """(id, name) of the commune a SIRENE code names, or None when unknown."""
        found = self.by_code.get(commune_code_of(code))
        return (found[0], found[1]) if found else None

    def area(self, departements: Iterable[str], regions: Iterable[str]) -> sirene.Area | None:
        departements = sorted({code.strip().upper() for code in departements})
        regions = sorted({code.strip() for code in regions})
        if not (departements or regions):
            return None
        known = Territory.objects.filter(
            kind__in=[TerritoryKind.DEPARTEMENT, TerritoryKind.REGION]
        ).values_list("kind", "code")
        known_departements = {code for kind, code in known if kind == TerritoryKind.DEPARTEMENT}
        known_regions = {code for kind, code in known if kind == TerritoryKind.REGION}
        unknown = [f"département {c}" for c in departements if c not in known_departements]
        unknown += [f"région {c}" for c in regions if c not in known_regions]
        if unknown:
            raise SireneImportError(
                f"Territoire inconnu de l'annuaire : {', '.join(unknown)} "
                "(importez d'abord la géographie)."
            )
        return sirene.Area(
            departements=departements,
            regions=regions,
            communes={code: (dep, reg) for code, (_pk, _n, dep, reg) in self.by_code.items()},
        )


def _mark(outcomes: bytearray, pk: int, outcome: int) -> int:
    """Record `outcome` for row `pk` (the strongest one wins); return the previous one."""
    if pk >= len(outcomes):
        outcomes.extend(bytes(max(pk + 1 - len(outcomes), len(outcomes) // 2, 1024)))
    previous = outcomes[pk]
    outcomes[pk] = max(previous, outcome)
    return previous


def legal_form_of(category: str, current: str) -> str:
    """The legal form shown for an INSEE legal category (the current one if unknown)."""
    return (sirene.legal_category_label(category) or current)[:120]


def _actor_changes(
    current: dict, unit: UnitFacts, *, head_office: int | None, may_fill_territory: bool
) -> dict:
    """The fields of an existing actor that the unit's facts change.

    The displayed name follows a renamed official name only while it still is the previous
    official name (staff who chose another keep theirs); the territory is filled from the
    head office only when empty, on the import that first gives the actor its official
    facts; an actor archived because its unit had left comes back when the unit does.
    """
    wanted = {
        "official_name": unit.name[:300],
        "legal_category": unit.legal_category,
        "naf_code": unit.naf_code,
        "rna": unit.rna,
        "employees_band": unit.employees_band,
        "sirene_created_on": unit.created_on,
        "sirene_processed_on": unit.processed_on,
        "sirene_state": SireneState.ACTIVE,
        "legal_form": legal_form_of(unit.legal_category, current["legal_form"]),
        "family": sirene.ess_family(unit.legal_category),
    }
    if current["official_name"] and current["name"] == current["official_name"]:
        wanted["name"] = wanted["official_name"]
    if may_fill_territory and current["territory_id"] is None and head_office is not None:
        wanted["territory_id"] = head_office
    if (
        current["sirene_state"] == SireneState.CEASED
        and current["status"] == PublicationStatus.ARCHIVED
    ):
        wanted["status"] = PublicationStatus.PUBLISHED
    return {name: value for name, value in wanted.items() if current[name] != value}


def _preferred_by_siren(rows: Iterable[dict]) -> dict[str, dict]:
    """One actor per SIREN: the one holding official facts, else the oldest."""
    chosen: dict[str, dict] = {}
    for row in sorted(rows, key=lambda r: (r["sirene_imported_at"] is None, r["pk"])):
        chosen.setdefault(row["siren"], row)
    return chosen


class _SireneImport:
    """One run of the import (see import_sirene)."""

    def __init__(self, *, report, units, communes, dry_run, now):
        self.report = report
        self.units: dict[str, bytes] = units
        self.communes: _Communes = communes
        self.dry_run = dry_run
        self.now = now
        self.today = timezone.localdate(now)
        self.actor_outcomes = bytearray()
        self.establishment_outcomes = bytearray()
        # SIRENs whose actor got its official facts for the first time in this run: the
        # import may fill their territory from the head office.
        self.first_facts: set[str] = set()
        # A dry run writes nothing: what it would create, to count it once.
        self.would_create_actors: set[str] = set()
        self.would_create_establishments: set[str] = set()
        # Existing actors whose territory or names changed: what they are found by follows.
        self.refresh: set[int] = set()
        # Every column of a new actor, as the model's defaults give it.
        blank = Actor()
        self.actor_defaults = {
            f.attname: getattr(blank, f.attname)
            for f in Actor._meta.concrete_fields
            if not f.primary_key
        }

    # -- actors ------------------------------------------------------------------------

    def actors_by_siren(self, sirens: Iterable[str]) -> dict[str, dict]:
        rows = Actor.objects.filter(siren__in=list(sirens)).order_by().values(*_ACTOR_COLUMNS)
        return _preferred_by_siren(rows)

    def new_actor(self, siren: str, unit: UnitFacts, head_office) -> dict:
        """The row of a new actor (every column but the key)."""
        territory_id, commune_name = head_office if head_office else (None, "")
        name = unit.name[:300]
        return self.actor_defaults | {
            "name": name,
            "slug": f"{slugify(name)[:100].strip('-') or 'structure'}-{siren}",
            "siren": siren,
            "status": PublicationStatus.PUBLISHED.value,
            "family": sirene.ess_family(unit.legal_category) or Family.UNKNOWN.value,
            "legal_form": legal_form_of(unit.legal_category, ""),
            "territory_id": territory_id,
            # What refresh_search_context() gives an actor without themes nor partners.
            "search_context": commune_name,
            "official_name": name,
            "legal_category": unit.legal_category,
            "naf_code": unit.naf_code,
            "rna": unit.rna,
            "employees_band": unit.employees_band,
            "sirene_created_on": unit.created_on,
            "sirene_processed_on": unit.processed_on,
            "sirene_state": SireneState.ACTIVE.value,
            "sirene_imported_at": self.now,
            "created_at": self.now,
            "updated_at": self.now,
        }

    def unique_slugs(self, actors: list[dict]) -> None:
        taken = set(
            Actor.objects.filter(slug__in=[a["slug"] for a in actors]).values_list(
                "slug", flat=True
            )
        )
        for actor in actors:
            base, counter = actor["slug"], 2
            while actor["slug"] in taken:
                actor["slug"] = f"{base}-{counter}"
                counter += 1
            taken.add(actor["slug"])

    def update_actors(self, rows: dict[str, dict], head_offices: dict) -> dict[str, int]:
        """Write the changed facts of existing actors; return their ids by SIREN."""
        changed: list[tuple[dict, dict]] = []
        for siren, current in rows.items():
            if current["sirene_imported_at"] is None:
                self.first_facts.add(siren)
            head_office = head_offices.get(siren)
            changes = _actor_changes(
                current,
                unpack_unit(self.units[siren]),
                head_office=head_office[0] if head_office else None,
                may_fill_territory=siren in self.first_facts,
            )
            _mark(self.actor_outcomes, current["pk"], _UPDATED if changes else _UNCHANGED)
            if changes:
                changed.append((current, changes))
                if current["sirene_state"] == SireneState.CEASED:
                    self.report.reappeared += 1
                if {"territory_id", "official_name", "name"} & changes.keys():
                    # What it is found by: its territory, an official name staff renamed.
                    self.refresh.add(current["pk"])
        if changed and not self.dry_run:
            fields = sorted({name for _current, changes in changed for name in changes})
            objects = []
            for current, changes in changed:
                values = {name: current[name] for name in fields} | changes
                objects.append(
                    Actor(
                        pk=current["pk"],
                        **values,
                        sirene_imported_at=self.now,
                        updated_at=self.now,
                    )
                )
            Actor.objects.bulk_update(
                objects, [*fields, "sirene_imported_at", "updated_at"], batch_size=1000
            )
        return {siren: row["pk"] for siren, row in rows.items()}

    # -- a batch of establishments --------------------------------------------------------

    def write_batch(self, batch: list[sirene.Establishment]) -> None:
        head_offices = {}
        for establishment in batch:
            if establishment.is_head_office:
                head_offices[establishment.siren] = self.communes.get(establishment.commune_code)
        sirens = sorted({establishment.siren for establishment in batch})
        existing = self.actors_by_siren(sirens)
        actor_ids = self.update_actors(existing, head_offices)

        new = [
            siren
            for siren in sirens
            if siren not in existing and siren not in self.would_create_actors
        ]
        created = [
            self.new_actor(siren, unpack_unit(self.units[siren]), head_offices.get(siren))
            for siren in new
        ]
        self.first_facts.update(new)
        if self.dry_run:
            self.would_create_actors.update(new)
            self.report.actors.created += len(new)
        elif created:
            self.unique_slugs(created)
            for actor, pk in zip(created, insert_rows(Actor, created), strict=True):
                actor_ids[actor["siren"]] = pk
                _mark(self.actor_outcomes, pk, _CREATED)

        self.write_establishments(batch, actor_ids)

    def write_establishments(self, batch, actor_ids: dict[str, int]) -> None:
        existing = {
            row["siret"]: row
            for row in Establishment.objects.filter(siret__in=[e.siret for e in batch])
            .order_by()
            .values("pk", "siret", *ESTABLISHMENT_FIELDS)
        }
        creates: list[dict] = []
        changed: list[tuple[dict, dict]] = []
        for establishment in batch:
            commune = self.communes.get(establishment.commune_code)
            if commune is None:
                self.report.unknown_communes[establishment.commune_code] += 1
            actor_id = actor_ids.get(establishment.siren)
            wanted = {
                "actor_id": actor_id,
                "nic": establishment.nic,
                "name": establishment.name[:300],
                "address": establishment.address[:300],
                "address_complement": establishment.address_complement[:300],
                "postal_code": establishment.postal_code[:10],
                "commune_id": commune[0] if commune else None,
                "commune_code": establishment.commune_code[:5],
                "commune_label": establishment.commune_label[:100],
                "naf_code": establishment.naf_code[:6],
                "employees_band": establishment.employees_band[:2],
                "is_head_office": establishment.is_head_office,
                "created_on": establishment.created_on,
                "latitude": establishment.latitude,
                "longitude": establishment.longitude,
                "is_active": True,
                "closed_on": None,
            }
            current = existing.get(establishment.siret)
            if current is None:
                # Created once, even when the file lists it twice.
                existing[establishment.siret] = {"pk": None}
                if self.dry_run:
                    if establishment.siret not in self.would_create_establishments:
                        self.would_create_establishments.add(establishment.siret)
                        self.report.establishments.created += 1
                    continue
                creates.append({"siret": establishment.siret, "updated_at": self.now, **wanted})
                continue
            if current["pk"] is None:
                continue
            changes = {name: value for name, value in wanted.items() if current[name] != value}
            _mark(self.establishment_outcomes, current["pk"], _UPDATED if changes else _UNCHANGED)
            if changes:
                changed.append((current, changes))
                if not current["is_active"]:
                    self.report.reopened += 1
        if self.dry_run:
            return
        for pk in insert_rows(Establishment, creates):
            _mark(self.establishment_outcomes, pk, _CREATED)
        if changed:
            fields = sorted({name for _current, changes in changed for name in changes})
            Establishment.objects.bulk_update(
                [
                    Establishment(
                        pk=current["pk"],
                        **({name: current[name] for name in fields} | changes),
                        updated_at=self.now,
                    )
                    for current, changes in changed
                ],
                [*fields, "updated_at"],
                batch_size=1000,
            )

    # -- after the stream -------------------------------------------------------------------

    def close_unseen(self, area: sirene.Area | None) -> None:
        """Establishments open in the imported area that the import did not see: closed."""
        unseen = [
            pk
            for pk, code in Establishment.objects.active()
            .order_by()
            .values_list("pk", "commune_code")
            .iterator(chunk_size=10_000)
            if not (pk < len(self.establishment_outcomes) and self.establishment_outcomes[pk])
            and (area is None or area.contains(code))
        ]
        self.report.closed = len(unseen)
        if self.dry_run:
            return
        for chunk in _chunks(unseen, BATCH_SIZE):
            with transaction.atomic():
                Establishment.objects.filter(pk__in=chunk).update(
                    is_active=False, closed_on=self.today, updated_at=self.now
                )

    def finish_actors(self, *, whole_country: bool) -> None:
        """Actors the stream did not reach: their unit's facts when it is kept (a SIREN
        staff attached, a structure without open establishment), archived when their unit
        has left the kept units (the units file is always national).

        An import limited to an area refreshes the facts of the other actors only when
        they have none yet or had been archived: the others' establishments were not read.
        """
        refresh, archive = [], []
        for pk, siren, state, imported_at in (
            Actor.objects.exclude(siren="")
            .order_by()
            .values_list("pk", "siren", "sirene_state", "sirene_imported_at")
            .iterator(chunk_size=10_000)
        ):
            if pk < len(self.actor_outcomes) and self.actor_outcomes[pk]:
                continue
            if siren in self.units:
                if whole_country or imported_at is None or state == SireneState.CEASED:
                    refresh.append(siren)
            elif imported_at is not None and state != SireneState.CEASED:
                archive.append(pk)
        for chunk in _chunks(sorted(set(refresh)), BATCH_SIZE):
            with transaction.atomic():
                rows = Actor.objects.filter(siren__in=chunk).order_by().values(*_ACTOR_COLUMNS)
                # A SIREN whose preferred actor the stream reached is done.
                by_siren = _preferred_by_siren(rows)
                pending = {
                    siren: row
                    for siren, row in by_siren.items()
                    if not (row["pk"] < len(self.actor_outcomes) and self.actor_outcomes[row["pk"]])
                }
                self.update_actors(pending, {})
        self.report.archived = len(archive)
        if self.dry_run:
            return
        for chunk in _chunks(archive, BATCH_SIZE):
            with transaction.atomic():
                Actor.objects.filter(pk__in=chunk).update(
                    status=PublicationStatus.ARCHIVED,
                    sirene_state=SireneState.CEASED,
                    sirene_imported_at=self.now,
                    updated_at=self.now,
                )

    def tally(self) -> None:
        self.report.actors.add(self.actor_outcomes)
        self.report.establishments.add(self.establishment_outcomes)


def insert_rows(model, rows: list[dict]) -> list[int]:
    """Insert `rows` (attribute name → value, every column but the key); return their ids.

    On PostgreSQL, COPY with ids drawn from the table's sequence: several times faster than
    INSERT for the hundreds of thousands of rows of a first national import. Elsewhere,
    bulk_create(). Like it, sends no signal.
    """
    if not rows:
        return []
    if connection.vendor != "postgresql":
        created = model._default_manager.bulk_create(
            [model(**row) for row in rows], batch_size=1000
        )
        return [obj.pk for obj in created]
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in [meta.pk.column, *(f.column for f in fields)])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(rows)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for pk, row in zip(ids, rows, strict=True):
                copy.write_row((pk, *(_plain(row[f.attname]) for f in fields)))
    return ids


def _plain(value):
    """Choices as their value: COPY adapts the basic types only."""
    return value.value if isinstance(value, Enum) else value


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _batches(rows: Iterable, size: int) -> Iterator[list]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def read_kept_units(path: str | Path, report: sirene.ReadReport) -> dict[str, bytes]:
    """The ESS units of a StockUniteLegale file, packed, by SIREN."""
    return {unit.siren: pack_unit(unit) for unit in sirene.read_units(path, report=report)}


def import_sirene(
    *,
    units: str | Path,
    establishments: str | Path,
    geolocation: str | Path | None = None,
    departements: Iterable[str] = (),
    regions: Iterable[str] = (),
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Import the ESS structures of INSEE's SIRENE stock files, and their establishments.

    Idempotent and incremental: rows are matched by SIREN and SIRET and written only when
    a fact differs (a second run writes nothing). Staff fields are never written; see
    `_actor_changes` for the name, territory and status. With `departements` / `regions`,
    only establishments located there are read, and only those are closed when absent.
    Bad input raises SireneImportError naming the file and line; batches already written
    stay (a new run completes the job), the batch in progress rolls back, and nothing is
    closed or archived.
    """
    report = ImportReport(read=sirene.ReadReport(), dry_run=dry_run)
    clock = timezone.now
    started = clock()
    communes = _Communes()
    area = communes.area(departements, regions)
    try:
        kept = read_kept_units(units, report.read)
        report.seconds["unités"] = (clock() - started).total_seconds()
        points = (
            sirene.read_geolocation(geolocation, sirens=kept) if geolocation is not None else None
        )
        run = _SireneImport(
            report=report, units=kept, communes=communes, dry_run=dry_run, now=started
        )
        stream_started = clock()
        rows = sirene.read_establishments(
            establishments, units=kept, report=report.read, area=area, geolocation=points
        )
        for batch in _batches(rows, batch_size):
            with transaction.atomic():
                run.write_batch(batch)
    except sirene.SireneFormatError as error:
        raise SireneImportError(str(error)) from error
    except FileNotFoundError as error:
        raise SireneImportError(f"Fichier introuvable : {error.filename}") from error
    report.seconds["établissements"] = (clock() - stream_started).total_seconds()
    finish_started = clock()
    run.close_unseen(area)
    run.finish_actors(whole_country=area is None)
    run.tally()
    if not dry_run:
        if run.refresh:
            for chunk in _chunks(sorted(run.refresh), BATCH_SIZE):
                Actor.objects.filter(pk__in=chunk).refresh_search_context()
        if report.changes:
            # Where actors act and the panoramas follow the new establishments; bulk
            # writes send no signals: cached pages follow here.
            refresh_derived_data()
            bump_content_version()
    report.seconds["fin"] = (clock() - finish_started).total_seconds()
    report.seconds["total"] = (clock() - started).total_seconds()
    return report


# --- Derived data: where actors act, and the panorama of every territory -----------------


def _places_sql(actor_filter: str) -> str:
    place, actor = ActorPlace._meta.db_table, Actor._meta.db_table
    establishment, inclusion = Establishment._meta.db_table, TerritoryInclusion._meta.db_table
    return (
        f"INSERT INTO {place} (territory_id, actor_id) "
        f"SELECT i.container_id, a.id FROM {actor} a "
        f"JOIN {inclusion} i ON i.member_id = a.territory_id WHERE {actor_filter.format('a.id')} "
        f"UNION "
        f"SELECT i.container_id, e.actor_id FROM {establishment} e "
        f"JOIN {inclusion} i ON i.member_id = e.commune_id "
        f"WHERE e.is_active AND {actor_filter.format('e.actor_id')}"
    )


@transaction.atomic
def refresh_actor_places(*, actor_ids: Iterable[int] | None = None) -> int:
    """Rebuild where actors act (ActorPlace) from their territory and active establishments
    and the containment rule: for `actor_ids`, or for every actor when None. Returns how
    many places the actors now have.

    Called wherever an actor's territory or establishments change (the admin, the proposal
    moderation, the SIRENE import, the seed), and after the geography is reloaded.
    """
    # One DELETE statement, whatever the rows: delete() would first fetch the million
    # places of a national refresh to send their signals.
    database = ActorPlace.objects.db
    with connection.cursor() as cursor:
        if actor_ids is None:
            ActorPlace.objects.all()._raw_delete(database)
            cursor.execute(_places_sql("1 = 1"))
            return cursor.rowcount
        total = 0
        for chunk in _chunks(sorted(set(actor_ids)), BATCH_SIZE):
            ActorPlace.objects.filter(actor_id__in=chunk)._raw_delete(database)
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(_places_sql(f"{{}} IN ({marks})"), [*chunk, *chunk])
            total += cursor.rowcount
        return total


def _fold_counts(rows, key_of) -> dict[int | None, Counter]:
    folded: dict[int | None, Counter] = {}
    for territory_id, value, count in rows:
        folded.setdefault(territory_id, Counter())[key_of(value)] += count
    return folded


@transaction.atomic
def refresh_panoramas() -> int:
    """Recompute the ESS panorama of every territory and of France from the published
    structures and their active establishments; returns how many panoramas were written.

    A handful of grouped aggregate queries over the whole directory (seconds at national
    scale), run after an import, the seed, and nightly: the territory pages then read one
    row per territory instead of counting hundreds of thousands of rows per request.
    """
    actors = Actor.objects.published()
    places = ActorPlace.objects.filter(actor__in=actors)
    establishments = Establishment.objects.public().exclude(commune=None)
    inside = "commune__container_links__container"
    employer = ~Q(employees_band__in=NON_EMPLOYER_BANDS)

    structures = _fold_counts(
        places.values_list("territory", "actor__family").annotate(n=Count("id")).order_by(),
        str,
    )
    structures[None] = Counter(
        dict(actors.values_list("family").annotate(n=Count("id")).order_by())
    )
    by_family = _fold_counts(
        establishments.values_list(inside, "actor__family").annotate(n=Count("id")).order_by(),
        str,
    )
    by_family[None] = Counter(
        dict(establishments.values_list("actor__family").annotate(n=Count("id")).order_by())
    )
    division = Substr("naf_code", 1, 2)
    by_section = _fold_counts(
        establishments.annotate(division=division)
        .values_list(inside, "division")
        .annotate(n=Count("id"))
        .order_by(),
        naf_section,
    )
    by_section[None] = Counter()
    for value, count in (
        establishments.annotate(division=division)
        .values_list("division")
        .annotate(n=Count("id"))
        .order_by()
    ):
        by_section[None][naf_section(value)] += count
    employers = establishments.filter(employer)
    by_size = _fold_counts(
        employers.values_list(inside, "employees_band").annotate(n=Count("id")).order_by(),
        size_group,
    )
    by_size[None] = Counter()
    for band, count in employers.values_list("employees_band").annotate(n=Count("id")).order_by():
        by_size[None][size_group(band)] += count

    populations = dict(Territory.objects.values_list("pk", "population"))
    populations[None] = Territory.objects.filter(kind=TerritoryKind.COMMUNE).aggregate(
        total=Sum("population")
    )["total"]
    now = timezone.now()
    rows = []
    for territory_id in structures.keys() | by_family.keys():
        families = {
            family: {
                "structures": structures.get(territory_id, Counter())[family],
                "establishments": by_family.get(territory_id, Counter())[family],
            }
            for family in Family.values
            if structures.get(territory_id, Counter())[family]
            or by_family.get(territory_id, Counter())[family]
        }
        sizes = by_size.get(territory_id, Counter())
        sizes.pop(None, None)
        rows.append(
            TerritoryPanorama(
                territory_id=territory_id,
                national=territory_id is None,
                population=populations.get(territory_id),
                structures=sum(structures.get(territory_id, Counter()).values()),
                establishments=sum(by_family.get(territory_id, Counter()).values()),
                employer_establishments=sum(sizes.values()),
                by_family=families,
                by_section=dict(by_section.get(territory_id, Counter())),
                by_size=dict(sizes),
                computed_at=now,
            )
        )
    TerritoryPanorama.objects.all().delete()
    TerritoryPanorama.objects.bulk_create(rows, batch_size=2000)
    transaction.on_commit(bump_content_version)
    return len(rows)


@transaction.atomic
def refresh_map_cells() -> int:
    """Recount the map's precomputed cells (MapCell) from the located, active
    establishments of the structures the public sees; returns how many cells."""
    cells = (
        Establishment.objects.active()
        .filter(latitude__isnull=False, longitude__isnull=False)
        .of_public_actors()
        .grid_clusters(MAP_CELL_DEGREES, MAP_CELL_DEGREES)
    )
    rows = [
        MapCell(
            gx=cell["gx"],
            gy=cell["gy"],
            count=cell["count"],
            lon=cell["lon"],
            lat=cell["lat"],
            west=cell["west"],
            south=cell["south"],
            east=cell["east"],
            north=cell["north"],
        )
        for cell in cells
    ]
    MapCell.objects.all().delete()
    MapCell.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def refresh_derived_data() -> dict[str, int]:
    """Rebuild everything computed from the directory as a whole: where actors act, the
    panorama of every territory and the map's cells. Run after an import, by the seed, and
    nightly (`manage.py refresh_panoramas`); returns how many rows of each."""
    return {
        "places": refresh_actor_places(),
        "panoramas": refresh_panoramas(),
        "map cells": refresh_map_cells(),
    }
