from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from territories.geography import DEFAULT_EXTRACT_DIR, GeographyError, read_official, write_extract


class Command(BaseCommand):
    help = (
        "Rebuild fixtures/geography/ from the official files (Etalab's découpage administratif "
        "and groupements.csv)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--source",
            type=Path,
            default=Path("../shared/data"),
            help="Folder holding decoupage-administratif/ and groupements.csv.",
        )
        parser.add_argument("--output", type=Path, default=DEFAULT_EXTRACT_DIR)

    def handle(self, *args, source: Path, output: Path, **options):
        try:
            counts = write_extract(read_official(source), output)
        except GeographyError as error:
            raise CommandError(str(error)) from error
        summary = ", ".join(f"{name}: {count}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Extract written to {output} ({summary})."))
