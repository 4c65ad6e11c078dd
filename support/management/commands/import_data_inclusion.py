"""`manage.py import_data_inclusion --structures FILE --services FILE [--date YYYY-MM-DD]`."""

from __future__ import annotations

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from support.importer import ImportError_, import_files


def _date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--date : date AAAA-MM-JJ attendue, pas « {value} ».") from error


class Command(BaseCommand):
    help = (
        "Importe les structures et services de data·inclusion (schéma 1.0.8, JSON ou CSV) : "
        "les services qui aident à créer ou développer une activité et ceux des structures "
        "de l'ESS, en une transaction, mis à jour sur (source, id)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--structures", required=True, type=Path, help="structures.json|csv")
        parser.add_argument("--services", required=True, type=Path, help="services.json|csv")
        parser.add_argument(
            "--date",
            type=_date,
            default=None,
            help="date des fichiers (par défaut, celle du fichier des services)",
        )

    def handle(self, *args, structures: Path, services: Path, date, **options):
        for path in (structures, services):
            if not path.is_file():
                raise CommandError(f"{path} : fichier introuvable.")
        try:
            report = import_files(structures, services, file_date=date)
        except ImportError_ as error:
            raise CommandError(str(error)) from error
        for line in report.lines():
            self.stdout.write(line)
