"""What the directory's figures and maps cover: whether the SIRENE register was imported
(`actors.ImportRun`), how recently, and whether the fictitious sample of
`manage.py load_sirene_sample` is loaded.

Without a recent import of the real register, the panorama counts the structures the
directory publishes (the seed's, staff's), not the ESS of a territory: the pages say so and
compare nothing; an empty map says why and how to fill it; the sample is named as such
wherever it shows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import cached_property

from django.utils import timezone

from actors.models import Actor, Establishment, ImportRun
from core.statements import Statement
from core.together import Composed

# The sample's mark: the first words of every one of its structures' names (their official
# name, which only the import writes, keeps it whatever staff rename), and of its files.
SAMPLE_MARK = "[Exemple fictif]"
SAMPLE_FILE_PREFIX = "exemple-fictif-"
# An import older than this no longer describes the ESS of a territory.
STALE_AFTER = datetime.timedelta(days=100)
# The last runs read: more than a month of imports and refreshes.
RUNS_READ = 50


def is_sample_run(files: list[dict]) -> bool:
    """Whether an import run read the sample's files (see actors.sample)."""
    return any(str(entry.get("name", "")).startswith(SAMPLE_FILE_PREFIX) for entry in files)


def is_sample(actor: Actor) -> bool:
    """Whether a structure comes from the fictitious sample (no query)."""
    return actor.official_name.startswith(SAMPLE_MARK)


def sample_actors():
    """The structures of the fictitious sample."""
    return Actor.objects.filter(official_name__startswith=SAMPLE_MARK)


@dataclass(frozen=True)
class SireneCoverage:
    """The last complete import of the real register (None: none recorded), the last load
    of the sample still shown (a real import archives the sample's structures), and when."""

    last_import: datetime.datetime | None
    sample_loaded: datetime.datetime | None
    now: datetime.datetime

    @property
    def imported(self) -> bool:
        return self.last_import is not None

    @property
    def stale(self) -> bool:
        """An import was made, more than STALE_AFTER ago."""
        return self.imported and self.now - self.last_import > STALE_AFTER

    @property
    def directory_only(self) -> bool:
        """The figures count the structures of the directory, not the ESS of the territory:
        no import of the real register, or an old one."""
        return not self.imported or self.stale

    @property
    def sample(self) -> bool:
        """The fictitious sample is loaded, and shown."""
        return self.sample_loaded is not None

    @property
    def stale_days(self) -> int:
        return STALE_AFTER.days

    @cached_property
    def map_is_empty(self) -> bool:
        """No establishment to put on a map: nothing was imported (one indexed query, only
        then: an import leaves establishments)."""
        if self.imported or self.sample:
            return False
        located = Establishment.objects.active().filter(latitude__isnull=False)
        return not located.exists()


def _runs(*, size: int):
    return (
        ImportRun.objects.filter(kind=ImportRun.Kind.IMPORT, completed_at__isnull=False)
        .order_by("-completed_at", "-pk")
        .values_list("completed_at", "files")[:size]
    )


# Kept compiled (core.statements): the map and the panoramas of most pages read it. It binds
# nothing: planned once (generic_plan, core.prepared).
_last_runs = Statement(_runs, bound=(), generic_plan=True)


def coverage_read() -> Composed:
    """sirene_coverage() as a read a page sends with its others
    (core.together.read_together())."""
    return Composed(((_last_runs, {"size": RUNS_READ}),), lambda runs: sirene_coverage(runs=runs))


def sirene_coverage(
    now: datetime.datetime | None = None, *, runs: list[tuple] | None = None
) -> SireneCoverage:
    """The directory's coverage of the SIRENE register, from the record of its runs (one
    query; none when `runs`, the rows of coverage_read(), were read already)."""
    if runs is None:
        runs = _last_runs.rows(size=RUNS_READ)
    last_import = sample_loaded = None
    for completed_at, files in runs:
        if is_sample_run(files or []):
            if last_import is None and sample_loaded is None:
                sample_loaded = completed_at
        elif last_import is None:
            last_import = completed_at
    return SireneCoverage(last_import, sample_loaded, now or timezone.now())
