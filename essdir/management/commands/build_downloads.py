from django.core.management.base import BaseCommand, CommandError

from core.downloads import BuildInProgress
from essdir.data import DATASETS
from essdir.downloads import build_downloads


class Command(BaseCommand):
    help = (
        "Build the complete national files of every dataset of /donnees/ (CSV and JSON, "
        "gzip-compressed) into DOWNLOADS_ROOT, each replaced only once complete, with their "
        "manifest (rows, bytes, sha256, date, schema). One build at a time: a second one "
        "waits for the first, or with --no-wait exits at once (status 0)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-wait",
            action="store_true",
            help="Exit at once, doing nothing, when another build is running.",
        )
        parser.add_argument(
            "--dataset",
            action="append",
            dest="datasets",
            metavar="SLUG",
            help="Build this dataset only (acteurs, dispositifs, collectivites, evenements); "
            "repeatable.",
        )

    def handle(self, *args, no_wait: bool, datasets: list[str] | None, **options):
        unknown = set(datasets or ()) - {dataset.slug for dataset in DATASETS}
        if unknown:
            raise CommandError(f"Unknown dataset: {', '.join(sorted(unknown))}.")
        try:
            built = build_downloads(wait=not no_wait, datasets=datasets, report=self.stdout.write)
        except BuildInProgress:
            self.stdout.write("Another build is running: nothing done.")
            return
        self.stdout.write(self.style.SUCCESS(f"Built {len(built)} national files."))
