"""`python manage.py import_subventions FILE [--collectivite SLUG] [--brouillon]`."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from grants.services import import_grants
from territories.models import Collectivite


class Command(BaseCommand):
    help = (
        "Importe un fichier SCDL « Subventions » 2.1.1 (CSV UTF-8) d'une collectivité : "
        "vérifié en entier, puis enregistré en entier ou pas du tout ; il remplace les "
        "subventions des mêmes années de cette collectivité. Un second import du même "
        "fichier ne change rien."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="Le fichier CSV (UTF-8, avec ou sans BOM).")
        parser.add_argument(
            "--collectivite",
            metavar="SLUG",
            help="La collectivité attribuante ; facultatif quand un import précédent a "
            "déjà rattaché le SIREN de idAttribuant à une collectivité.",
        )
        parser.add_argument(
            "--source",
            default="",
            metavar="URL",
            help="Où la collectivité publie ce fichier (cité comme source sur les pages).",
        )
        parser.add_argument(
            "--brouillon",
            action="store_true",
            help="Importer sans publier (les subventions restent hors du site public).",
        )

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {path}")
        collectivite = None
        if slug := options["collectivite"]:
            collectivite = Collectivite.objects.filter(slug=slug).first()
            if collectivite is None:
                raise CommandError(f"Collectivité inconnue : {slug}")
        started = time.monotonic()
        with path.open("rb") as stream:
            report = import_grants(
                stream,
                name=path.name,
                collectivite=collectivite,
                source_url=options["source"],
                publish=not options["brouillon"],
            )
        elapsed = time.monotonic() - started
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            raise CommandError(f"{path.name} : fichier refusé, rien n'a été enregistré.")
        self.stdout.write(f"Durée : {elapsed:.1f} s.")
