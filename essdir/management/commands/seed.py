import time
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from core.caching import bump_content_version
from core.seedkit import SeedError
from essdir.seed import DEFAULT_SEED_DIR, load_seed


class Command(BaseCommand):
    help = "Load the geography of France and the seed data (idempotent: safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument("--directory", type=Path, default=DEFAULT_SEED_DIR)
        parser.add_argument(
            "--skip-geography", action="store_true", help="Do not (re)import the territories."
        )

    def handle(self, *args, directory: Path, skip_geography: bool, **options):
        if not skip_geography:
            call_command("import_geography", stdout=self.stdout, stderr=self.stderr)
        started = time.monotonic()
        try:
            report = load_seed(directory=directory)
        except SeedError as error:
            raise CommandError(str(error)) from error
        created = ", ".join(f"{n} {name}" for name, n in sorted(report.created.items())) or "none"
        updated = ", ".join(f"{n} {name}" for name, n in sorted(report.updated.items())) or "none"
        # Bulk writes send no signals: cached pages must go.
        bump_content_version()
        self.stdout.write(
            self.style.SUCCESS(
                f"Seed loaded in {time.monotonic() - started:.1f} s. Created: {created}. "
                f"Updated: {updated}."
            )
        )
