"""The writer of the SIRENE import: actors and establishments from the rows the reader
keeps, a batch at a time, then what the stream did not reach (closures, archives).

A batch's actors and establishments are looked up with one query each and only what
differs is written; establishments no longer seen open are marked closed and actors whose
unit left the kept units are archived; neither is ever deleted.
"""

from __future__ import annotations

import datetime
from array import array
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from actors import sirene
from actors.models import Actor, Establishment, Family, SireneState
from actors.sirene.bulk import chunks, insert_rows
from actors.sirene.report import CREATED, SEEN_CLOSED, UNCHANGED, UPDATED, ImportReport
from actors.sirene.units import Communes, UnitFacts, legal_form_of, unpack_unit
from territories.models import PublicationStatus

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
# Written only under conditions (see actor_changes); never any other staff field.
ACTOR_CONDITIONAL = ("name", "territory_id", "status")
ACTOR_COLUMNS = ("pk", "siren", "sirene_imported_at", *ACTOR_FACTS, *ACTOR_CONDITIONAL)

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

# In the head offices known before the run, by actor id: none, or one whose commune the
# directory does not know; any other value is the commune's id.
NO_HEAD_OFFICE, UNKNOWN_COMMUNE = -1, 0


def _mark(outcomes: bytearray, pk: int, outcome: int) -> int:
    """Record `outcome` for row `pk` (the strongest one wins); return the previous one."""
    if pk >= len(outcomes):
        outcomes.extend(bytes(max(pk + 1 - len(outcomes), len(outcomes) // 2, 1024)))
    previous = outcomes[pk]
    outcomes[pk] = max(previous, outcome)
    return previous


def _seen(outcomes: bytearray, pk: int) -> bool:
    return pk < len(outcomes) and bool(outcomes[pk])


def actor_changes(
    current: dict, unit: UnitFacts, *, head_office: int | None, before: int = NO_HEAD_OFFICE
) -> dict:
    """The fields of an existing actor that the unit's facts change.

    The displayed name follows a renamed official name only while it still is the previous
    official name (staff who chose another keep theirs). Likewise the territory follows the
    commune of the head office read in this batch (`head_office`) while it still is the
    commune of the head office known before the run (`before`), or is empty when none was
    known: a head office that moves takes the territory along, a territory staff chose
    stays. An actor archived because its unit had left comes back when the unit does.
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
    if head_office is not None and current["territory_id"] == (before if before > 0 else None):
        wanted["territory_id"] = head_office
    if (
        current["sirene_state"] == SireneState.CEASED
        and current["status"] == PublicationStatus.ARCHIVED
    ):
        wanted["status"] = PublicationStatus.PUBLISHED
    return {name: value for name, value in wanted.items() if current[name] != value}


def preferred_by_siren(rows: Iterable[dict]) -> dict[str, dict]:
    """One actor per SIREN: the one holding official facts, else the oldest."""
    chosen: dict[str, dict] = {}
    for row in sorted(rows, key=lambda r: (r["sirene_imported_at"] is None, r["pk"])):
        chosen.setdefault(row["siren"], row)
    return chosen


def head_offices_before() -> array:
    """The commune of each actor's head office as the directory knows it before the run,
    by actor id (NO_HEAD_OFFICE, UNKNOWN_COMMUNE or the commune's id): one 8-byte slot
    per actor, a few megabytes nationally. An open head office wins over a closed one."""
    heads = array("q")
    rows = (
        Establishment.objects.filter(is_head_office=True)
        .order_by("is_active")
        .values_list("actor_id", "commune_id")
        .iterator(chunk_size=10_000)
    )
    for actor_id, commune_id in rows:
        if actor_id >= len(heads):
            grow = max(actor_id + 1 - len(heads), len(heads) // 2, 1024)
            heads.extend([NO_HEAD_OFFICE] * grow)
        heads[actor_id] = commune_id or UNKNOWN_COMMUNE
    return heads


class SireneWriter:
    """The writes of one import run (see actors.sirene.importer.import_sirene)."""

    def __init__(
        self,
        *,
        report: ImportReport,
        units: dict[str, bytes],
        communes: Communes,
        dry_run: bool,
        now: datetime.datetime,
        batch_size: int,
    ):
        self.report = report
        self.units = units
        self.communes = communes
        self.dry_run = dry_run
        self.now = now
        self.today = timezone.localdate(now)
        self.batch_size = batch_size
        self.actor_outcomes = bytearray()
        self.establishment_outcomes = bytearray()
        self.heads_before = head_offices_before()
        # A dry run writes nothing: what it would create, to count it once.
        self.would_create_actors: set[str] = set()
        self.would_create_establishments: set[str] = set()
        # Existing actors whose territory or names changed: what they are found by follows,
        # in the same transaction as the change.
        self.refresh: set[int] = set()
        # Head offices whose row says they no longer are, still flagged (head_office_flag).
        self.former_heads: set[int] = set()
        # Every column of a new actor, as the model's defaults give it.
        blank = Actor()
        self.actor_defaults = {
            f.attname: getattr(blank, f.attname)
            for f in Actor._meta.concrete_fields
            if not f.primary_key
        }

    def head_before(self, actor_id: int) -> int:
        heads = self.heads_before
        return heads[actor_id] if actor_id < len(heads) else NO_HEAD_OFFICE

    # -- actors ------------------------------------------------------------------------

    def actors_by_siren(self, sirens: Iterable[str]) -> dict[str, dict]:
        rows = Actor.objects.filter(siren__in=list(sirens)).order_by().values(*ACTOR_COLUMNS)
        return preferred_by_siren(rows)

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
            head_office = head_offices.get(siren)
            changes = actor_changes(
                current,
                unpack_unit(self.units[siren]),
                head_office=head_office[0] if head_office else None,
                before=self.head_before(current["pk"]),
            )
            _mark(self.actor_outcomes, current["pk"], UPDATED if changes else UNCHANGED)
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

    def refresh_search(self) -> None:
        """What the actors changed so far are found by, in the current transaction."""
        if self.refresh and not self.dry_run:
            Actor.objects.filter(pk__in=sorted(self.refresh)).refresh_search_context()
        self.refresh.clear()

    # -- a batch of establishments --------------------------------------------------------

    def write_batch(self, batch: list[sirene.Establishment]) -> None:
        """Write a batch's actors and establishments (call it in a transaction)."""
        head_rows = {e.siren: e for e in batch if e.is_active and e.is_head_office}
        head_offices = {siren: self.communes.get(e.commune_code) for siren, e in head_rows.items()}
        sirens = sorted({establishment.siren for establishment in batch})
        existing = self.actors_by_siren(sirens)
        actor_ids = self.update_actors(existing, head_offices)

        # Closed rows only close what the directory holds: no actor is created for them.
        opening = {establishment.siren for establishment in batch if establishment.is_active}
        new = [
            siren
            for siren in sirens
            if siren in opening and siren not in existing and siren not in self.would_create_actors
        ]
        created = [
            self.new_actor(siren, unpack_unit(self.units[siren]), head_offices.get(siren))
            for siren in new
        ]
        if self.dry_run:
            self.would_create_actors.update(new)
            self.report.actors.created += len(new)
        elif created:
            self.unique_slugs(created)
            for actor, pk in zip(created, insert_rows(Actor, created), strict=True):
                actor_ids[actor["siren"]] = pk
                _mark(self.actor_outcomes, pk, CREATED)

        self.write_establishments(batch, actor_ids)
        self.move_head_offices(head_rows, existing)
        self.refresh_search()

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
            current = existing.get(establishment.siret)
            if not establishment.is_active:
                self.close_from_row(establishment, current, changed)
                continue
            commune = self.communes.get(establishment.commune_code)
            if commune is None:
                self.report.unknown_communes[establishment.commune_code] += 1
            wanted = {
                "actor_id": actor_ids.get(establishment.siren),
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
                "is_head_office": self.head_office_flag(establishment, current),
                "created_on": establishment.created_on,
                "latitude": establishment.latitude,
                "longitude": establishment.longitude,
                "is_active": True,
                "closed_on": None,
            }
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
            _mark(self.establishment_outcomes, current["pk"], UPDATED if changes else UNCHANGED)
            if changes:
                changed.append((current, changes))
                if not current["is_active"]:
                    self.report.reopened += 1
        if self.dry_run:
            return
        for pk in insert_rows(Establishment, creates):
            _mark(self.establishment_outcomes, pk, CREATED)
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

    def close_from_row(self, establishment, current: dict | None, changed: list) -> None:
        """A row read closed: close the establishment on the date SIRENE gives (the start of
        its closed period), or correct that date; one the directory never had is left out."""
        if current is None or current["pk"] is None:
            return
        wanted = {
            "is_active": False,
            "closed_on": establishment.closed_on or current["closed_on"] or self.today,
            "is_head_office": self.head_office_flag(establishment, current),
        }
        changes = {name: value for name, value in wanted.items() if current[name] != value}
        if current["is_active"]:
            self.report.closed += 1
            outcome = SEEN_CLOSED
        else:
            outcome = UPDATED if changes else SEEN_CLOSED
        if _mark(self.establishment_outcomes, current["pk"], outcome) or not changes:
            return
        changed.append((current, changes))

    def head_office_flag(self, establishment, current: dict | None) -> bool:
        """The head office flag to write: the row's, except that a head office whose row
        says it no longer is keeps the flag until its successor's row is written
        (`move_head_offices`) or the stream ends (`drop_former_head_offices`). A transfer
        is then one transaction: the new head office, the old one's flag and the territory
        together, which a run killed in between cannot leave half done."""
        if establishment.is_head_office or current is None or not current["is_head_office"]:
            return establishment.is_head_office
        if current["pk"] is not None:
            self.former_heads.add(current["pk"])
        return True

    def move_head_offices(self, head_rows: dict, existing: dict[str, dict]) -> None:
        """The other establishments still flagged head office of an actor whose head office
        row this batch wrote lose the flag (in the batch's transaction)."""
        heads = {
            existing[siren]["pk"]: establishment.siret
            for siren, establishment in head_rows.items()
            if siren in existing
        }
        if not heads:
            return
        former = [
            (pk, actor_id)
            for pk, actor_id, siret in Establishment.objects.filter(
                actor_id__in=list(heads), is_head_office=True
            ).values_list("pk", "actor_id", "siret")
            if siret != heads[actor_id]
        ]
        self.report.moved_head_offices += len({actor_id for _pk, actor_id in former})
        self.former_heads.difference_update(pk for pk, _actor_id in former)
        if former and not self.dry_run:
            Establishment.objects.filter(pk__in=[pk for pk, _actor_id in former]).update(
                is_head_office=False, updated_at=self.now
            )

    def drop_former_head_offices(self) -> None:
        """Former head offices whose successor the stream did not write (outside the area,
        say): they lose the flag their rows denied, once the stream is over."""
        pending = sorted(self.former_heads)
        self.former_heads.clear()
        if pending and not self.dry_run:
            for chunk in chunks(pending, self.batch_size):
                with transaction.atomic():
                    Establishment.objects.filter(pk__in=chunk, is_head_office=True).update(
                        is_head_office=False, updated_at=self.now
                    )

    # -- after the stream -------------------------------------------------------------------

    def close_unseen(self, area: sirene.Area | None, *, refused: sirene.ReadReport) -> None:
        """Establishments open in the imported area that the import did not see: closed,
        on the import's date (their rows are gone from the file). Those of rows the reader
        refused as invalid are left as they were."""
        self.drop_former_head_offices()
        refused_actors = set(
            Actor.objects.filter(siren__in=sorted(refused.refused_sirens)).values_list(
                "pk", flat=True
            )
        )
        unseen = [
            pk
            for pk, code, siret, actor_id in Establishment.objects.active()
            .order_by()
            .values_list("pk", "commune_code", "siret", "actor_id")
            .iterator(chunk_size=10_000)
            if not _seen(self.establishment_outcomes, pk)
            and (area is None or area.contains(code))
            and siret not in refused.refused_sirets
            and actor_id not in refused_actors
        ]
        self.report.closed += len(unseen)
        if self.dry_run:
            return
        for chunk in chunks(unseen, self.batch_size):
            with transaction.atomic():
                self.close(chunk)

    def close(self, pks: list[int]) -> None:
        Establishment.objects.filter(pk__in=pks).update(
            is_active=False, closed_on=self.today, updated_at=self.now
        )

    def finish_actors(self, *, whole_country: bool, refused: Iterable[str] = ()) -> None:
        """Actors the stream did not reach: their unit's facts when it is kept (a SIREN
        staff attached, a structure without open establishment), archived when their unit
        has left the kept units (the units file is always national), unless its row was
        refused as invalid (left as it was).

        An import limited to an area refreshes the facts of the other actors only when
        they have none yet or had been archived: the others' establishments were not read.
        """
        refused = set(refused)
        refresh, archive = [], []
        for pk, siren, state, imported_at in (
            Actor.objects.exclude(siren="")
            .order_by()
            .values_list("pk", "siren", "sirene_state", "sirene_imported_at")
            .iterator(chunk_size=10_000)
        ):
            if _seen(self.actor_outcomes, pk) or siren in refused:
                continue
            if siren in self.units:
                if whole_country or imported_at is None or state == SireneState.CEASED:
                    refresh.append(siren)
            elif imported_at is not None and state != SireneState.CEASED:
                archive.append(pk)
        for chunk in chunks(sorted(set(refresh)), self.batch_size):
            with transaction.atomic():
                rows = Actor.objects.filter(siren__in=chunk).order_by().values(*ACTOR_COLUMNS)
                # A SIREN whose preferred actor the stream reached is done.
                pending = {
                    siren: row
                    for siren, row in preferred_by_siren(rows).items()
                    if not _seen(self.actor_outcomes, row["pk"])
                }
                self.update_actors(pending, {})
                self.refresh_search()
        self.report.archived = len(archive)
        if self.dry_run:
            return
        for chunk in chunks(archive, self.batch_size):
            with transaction.atomic():
                self.archive(chunk)

    def archive(self, pks: list[int]) -> None:
        Actor.objects.filter(pk__in=pks).update(
            status=PublicationStatus.ARCHIVED,
            sirene_state=SireneState.CEASED,
            sirene_imported_at=self.now,
            updated_at=self.now,
        )

    def tally(self) -> None:
        self.report.actors.add(self.actor_outcomes)
        self.report.establishments.add(self.establishment_outcomes)
