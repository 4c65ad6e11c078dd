import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from actors.derived import refresh_derived_data
from bench.data import NotAGeneratedDatabase, generate
from core.caching import bump_content_version
from essdir.search import refresh_search_contexts

# The tables of the records generated, written twice (see handle()).
RECORD_TABLES = ("actors_actor", "events_event", "territories_scheme", "territories_collectivite")


def positive(value: str) -> int:
    number = int(value)
    if number < 0 or number > 5_000_000:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Build a realistic national dataset for benchmarks (200 000 actors over real communes "
        "in proportion to population, written as SIRENE stock files and loaded by the SIRENE "
        "import; 20 000 events over three years, 5 000 schemes). "
        "Never seed data: refuses to run on a database holding other records unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--actors", type=positive, default=200_000)
        parser.add_argument("--events", type=positive, default=20_000)
        parser.add_argument("--schemes", type=positive, default=5_000)
        parser.add_argument("--seed", type=int, default=42, help="Random seed (reproducible).")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though the database holds records that are not seed or generated.",
        )

    def handle(self, *args, actors, events, schemes, seed, force, **options):
        started = time.monotonic()
        try:
            report = generate(actors=actors, events=events, schemes=schemes, seed=seed, force=force)
        except NotAGeneratedDatabase as error:
            found = ", ".join(f"{count} {name}" for name, count in error.args[0].items())
            raise CommandError(
                f"Refused: this database holds records that are neither seed data nor generated "
                f"({found}). Use a benchmark database, or --force."
            ) from error
        # Bulk writes send no signals: what records are found by, and cached pages, follow.
        refresh_search_contexts()
        refresh_derived_data()
        bump_content_version()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                if connection.in_atomic_block:
                    # VACUUM cannot run in a transaction (a test's): statistics alone there.
                    cursor.execute("ANALYZE")
                else:
                    # The records are written twice here (loaded, then their search
                    # contexts once their themes and partners are drawn), where the site
                    # writes each once: the first versions leave their tables more than
                    # half empty (structures 346 MB, 125 MB compacted), and a bounded scan
                    # walking the empty pages measured this command, not the site (an
                    # event search's title candidates 3.5 ms, 0.8 compacted). Compacted,
                    # as production's are; the derived tables, rebuilt by every import in
                    # production too, are left as written.
                    cursor.execute(f"VACUUM FULL {', '.join(RECORD_TABLES)}")
                    # As autovacuum would, in time: statistics for the derived tables, and
                    # the full-text indexes' pending entries merged, before anything is
                    # measured.
                    cursor.execute("VACUUM ANALYZE")
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {report.actors} actors, {report.events} events, {report.schemes} "
                f"schemes, {report.collectivites} collectivités in "
                f"{time.monotonic() - started:.1f} s."
            )
        )
