"""`manage.py import_data_inclusion --structures FILE --services FILE [--date YYYY-MM-DD]`,
or `--download` (support/download.py): fetch what changed, then import it."""

from __future__ import annotations

import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from support.download import download_files
from support.importer import ImportError_, import_files


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--date : date AAAA-MM-JJ attendue, pas « {value} ».") from error


def _published_on(last_modified: str | None) -> datetime.date | None:
    """The date of an HTTP Last-Modified, when the server gave a readable one."""
    try:
        return parsedate_to_datetime(last_modified).date() if last_modified else None
    except (TypeError, ValueError):
        return None


class Command(BaseCommand):
    help = (
        "Importe les structures et services de data·inclusion (schéma 1.0.8, JSON ou CSV) : "
        "les services qui aident à créer ou développer une activité et ceux des structures "
        "de l'ESS, en une transaction, mis à jour sur (source, id) ; les services qu'un "
        "fichier complet d'une source ne nomme plus sont retirés. --download : télécharge "
        "d'abord ce qui a changé (DATA_INCLUSION_BASE_URL)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--structures", type=Path, help="structures.json|csv")
        parser.add_argument("--services", type=Path, help="services.json|csv")
        parser.add_argument(
            "--download",
            action="store_true",
            help="télécharger les deux fichiers (seulement ce qui a changé), puis les importer",
        )
        parser.add_argument(
            "--date",
            type=_date,
            default=None,
            help="date des fichiers (par défaut, celle du fichier des services)",
        )

    def handle(self, *args, structures, services, download, date, **options):
        try:
            if download:
                if structures or services:
                    raise CommandError("--download remplace --structures et --services.")
                self.download_and_import(date)
                return
            if not (structures and services):
                raise CommandError("--structures et --services sont requis (ou --download).")
            for path in (structures, services):
                if not path.is_file():
                    raise CommandError(f"{path} : fichier introuvable.")
            self.report(import_files(structures, services, file_date=date))
        except ImportError_ as error:
            raise CommandError(str(error)) from error

    def download_and_import(self, date) -> None:
        downloaded = download_files()
        for role, path in downloaded.paths.items():
            self.stdout.write(f"{path.name} : {downloaded.validators[role]['size']} octets")
        if not downloaded.changed and downloaded.already_imported:
            self.stdout.write("Fichiers data·inclusion à jour, déjà importés : rien à importer.")
            return
        if date is None:
            date = _published_on(downloaded.validators["services"].get("last_modified"))
        self.report(
            import_files(
                downloaded.paths["structures"], downloaded.paths["services"], file_date=date
            )
        )
        downloaded.mark_imported()

    def report(self, report) -> None:
        for line in report.lines():
            self.stdout.write(line)
