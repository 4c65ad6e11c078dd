import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.caching import bump_content_version
from territories.geography import DEFAULT_EXTRACT_DIR, GeographyError, read_extract
from territories.services import import_geography


class Command(BaseCommand):
    help = "Load the territories of France from the project's extract (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--directory", type=Path, default=DEFAULT_EXTRACT_DIR)

    def handle(self, *args, directory: Path, **options):
        started = time.monotonic()
        try:
            geo = read_extract(directory)
        except GeographyError as error:
            raise CommandError(str(error)) from error
        report = import_geography(geo=geo)
        # Bulk writes send no signals: cached pages must go.
        bump_content_version()
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.territories} territories; groupings created: "
                f"{report.groupements_created}; postal codes +{report.postal_codes_added} "
                f"-{report.postal_codes_removed}; inclusions +{report.inclusions_added} "
                f"-{report.inclusions_removed} ({time.monotonic() - started:.1f} s)."
            )
        )
