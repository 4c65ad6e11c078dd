"""What a SIRENE import tells: what it did, or would do in a dry run (ImportReport), with
what the readers saw."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from actors.sirene.reader import ReadReport

# Outcomes kept per row id (one byte each) while an import runs. SEEN_CLOSED: read in the
# file as closed (closed by its row, or already closed); not tallied.
UNSEEN, UNCHANGED, UPDATED, CREATED, SEEN_CLOSED = 0, 1, 2, 3, 4


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, outcomes: bytearray) -> None:
        self.created += outcomes.count(CREATED)
        self.updated += outcomes.count(UPDATED)
        self.unchanged += outcomes.count(UNCHANGED)


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do), and what the readers saw."""

    read: ReadReport
    dry_run: bool = False
    actors: Tally = field(default_factory=Tally)
    archived: int = 0
    reappeared: int = 0
    establishments: Tally = field(default_factory=Tally)
    closed: int = 0
    reopened: int = 0
    # Structures whose head office is now another establishment.
    moved_head_offices: int = 0
    # Establishments kept although the directory does not know their commune, by code.
    unknown_communes: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)
    # A run that found an unfinished one (killed, stopped by an error) says so here.
    notes: list[str] = field(default_factory=list)
    # When the run only finished an unfinished one on the same files: the steps it made.
    resumed_steps: list[str] = field(default_factory=list)

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
        if self.resumed_steps:
            return "\n".join(self.notes)
        lines = [
            f"{would}Structures : {self.actors.created} créées, {self.actors.updated} mises à "
            f"jour (dont {self.reappeared} revenues), {self.actors.unchanged} inchangées, "
            f"{self.archived} archivées (unité cessée, sortie de l'ESS ou non diffusible).",
            f"{would}Établissements : {self.establishments.created} créés, "
            f"{self.establishments.updated} mis à jour (dont {self.reopened} rouverts), "
            f"{self.establishments.unchanged} inchangés, {self.closed} fermés.",
        ]
        if self.moved_head_offices:
            lines.append(f"Sièges transférés : {self.moved_head_offices}.")
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
        return "\n".join([*self.notes, *lines])
