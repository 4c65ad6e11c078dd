import signal
import sys
import threading
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from actors.sirene.importer import SireneImportError, import_sirene


def _exit_on_sigterm(signum, frame):
    # systemd stops a unit with SIGTERM: exit as Python does on an exception, so that the
    # batch in progress rolls back and the run's record says it was interrupted.
    sys.exit(128 + signum)


class Command(BaseCommand):
    help = (
        "Import the ESS structures of INSEE's SIRENE register and their establishments from "
        "the stock files (StockUniteLegale_utf8.zip, StockEtablissement_utf8.zip). "
        "Idempotent: a second run writes nothing; staff fields are never written. One run "
        "at a time; a run finishes what an interrupted one left undone."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--unites", type=Path, required=True, help="StockUniteLegale (zip or CSV)."
        )
        parser.add_argument(
            "--etablissements",
            type=Path,
            required=True,
            help="StockEtablissement (zip or CSV).",
        )
        parser.add_argument(
            "--geolocalisation",
            type=Path,
            help="GeolocalisationEtablissement_Sirene_pour_etudes_statistiques (optional: "
            "the establishments' own Lambert coordinates are converted otherwise).",
        )
        parser.add_argument(
            "--departement",
            action="append",
            default=[],
            metavar="CODE",
            help="Only the establishments of this département (repeatable).",
        )
        parser.add_argument(
            "--region",
            action="append",
            default=[],
            metavar="CODE",
            help="Only the establishments of this région, by INSEE code (repeatable).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Read and compare, write nothing."
        )

    def handle(self, *args, unites, etablissements, geolocalisation, **options):
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _exit_on_sigterm) if main else None
        try:
            report = import_sirene(
                units=unites,
                establishments=etablissements,
                geolocation=geolocalisation,
                departements=options["departement"],
                regions=options["region"],
                dry_run=options["dry_run"],
            )
        except SireneImportError as error:
            raise CommandError(str(error)) from error
        finally:
            if main:
                signal.signal(signal.SIGTERM, previous)
        self.stdout.write(report.summary())
        timings = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in report.seconds.items())
        self.stdout.write(self.style.SUCCESS(f"Import SIRENE terminé ({timings})."))
