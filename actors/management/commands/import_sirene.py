import signal
import sys
import threading
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from actors.management.refresh import announce_refresh
from actors.sirene import runs
from actors.sirene.download import download_stocks
from actors.sirene.importer import SireneImportError, import_sirene


def _exit_on_sigterm(signum, frame):
    # systemd stops a unit with SIGTERM: exit as Python does on an exception, so that the
    # batch in progress rolls back and the run's record says it was interrupted.
    sys.exit(128 + signum)


def _size(count: int) -> str:
    for unit, factor in (("Go", 1 << 30), ("Mo", 1 << 20), ("ko", 1 << 10)):
        if count >= factor:
            return f"{count / factor:.1f} {unit}".replace(".", ",")
    return f"{count} o"


class ProgressLine:
    """The download's progress on stderr: one line rewritten in a terminal, a line every
    tenth otherwise (a cron's log)."""

    def __init__(self, stream):
        self.stream = stream
        self.interactive = stream.isatty()
        self.shown: dict[str, float] = {}

    def __call__(self, name: str, done: int, total: int | None) -> None:
        now = time.monotonic()
        share = done / total if total else None
        if self.interactive:
            if now - self.shown.get(name, 0) < 0.5 and done != total:
                return
            self.shown[name] = now
            end = "\n" if done == total else ""
        else:
            step = int(share * 10) if share is not None else done >> 28  # every 256 Mo
            if self.shown.get(name) == step:
                return
            self.shown[name] = step
            end = "\n"
        of = f" / {_size(total)} ({share * 100:.0f} %)" if total else ""
        line = f"{name} : {_size(done)}{of}"
        self.stream.write(("\r" if self.interactive else "") + line, ending=end)
        self.stream.flush()


class Command(BaseCommand):
    help = (
        "Import the ESS structures of INSEE's SIRENE register and their establishments from "
        "the stock files (StockUniteLegale_utf8.zip, StockEtablissement_utf8.zip), given "
        "or downloaded (--download). Idempotent: a second run writes nothing; staff fields "
        "are never written. One run at a time; a run finishes what an interrupted one left "
        "undone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--unites", type=Path, help="StockUniteLegale (zip or CSV).")
        parser.add_argument("--etablissements", type=Path, help="StockEtablissement (zip or CSV).")
        parser.add_argument(
            "--download",
            action="store_true",
            help="Download the stocks from SIRENE_BASE_URL into SIRENE_DOWNLOAD_DIR (only "
            "when they changed), then import them; nothing is done when they did not change "
            "and were imported.",
        )
        parser.add_argument(
            "--geolocalisation",
            nargs="?",
            const=True,
            metavar="FICHIER",
            help="GeolocalisationEtablissement_Sirene_pour_etudes_statistiques (optional: "
            "the establishments' own Lambert coordinates are converted otherwise); with "
            "--download and no file, downloaded too.",
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
            if options["download"]:
                if unites or etablissements:
                    raise CommandError("--download remplace --unites et --etablissements.")
                files = self.download(geolocalisation is True, options)
                if files is None:
                    return
                unites, etablissements = files["units"], files["establishments"]
                geolocalisation = files.get("geolocation", geolocalisation)
            elif not (unites and etablissements):
                raise CommandError("--unites et --etablissements sont requis (ou --download).")
            elif geolocalisation is True:
                raise CommandError("--geolocalisation attend un fichier (ou --download).")
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
        if not options["dry_run"]:
            announce_refresh(self)

    def download(self, geolocation: bool, options) -> dict[str, Path] | None:
        """Download what changed; the files to import, or None when there is nothing to do."""
        progress = ProgressLine(self.stderr) if options["verbosity"] > 0 else None
        fetched = download_stocks(geolocation=geolocation, progress=progress)
        files = {item.role: item.path for item in fetched}
        for item in fetched:
            state = "nouvelle version téléchargée" if item.changed else "inchangé (à jour)"
            self.stdout.write(f"{item.path.name} : {state}, {_size(item.size)}.")
        if any(item.changed for item in fetched) or options["dry_run"]:
            return files
        done = runs.last_import_of(
            [runs.fingerprint(item.role, item.path) for item in fetched],
            area=runs.area_record(options["departement"], options["region"]),
        )
        if done is None:
            return files  # downloaded before, never imported to the end: import them
        self.stdout.write(
            self.style.SUCCESS(
                "Fichiers SIRENE à jour, déjà importés le "
                f"{timezone.localtime(done.completed_at):%d/%m/%Y} : rien à importer."
            )
        )
        return None
