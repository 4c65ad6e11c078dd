"""Compile the .po catalogues into .mo files, in pure Python (no GNU gettext needed)."""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Compile every locale/<lang>/LC_MESSAGES/*.po of LOCALE_PATHS into its .mo "
        "(fuzzy and untranslated entries left out, as msgfmt does)."
    )

    def handle(self, *args, **options):
        catalogues = sorted(
            po for base in settings.LOCALE_PATHS for po in Path(base).glob("*/LC_MESSAGES/*.po")
        )
        if not catalogues:
            raise CommandError("No .po file under LOCALE_PATHS.")
        for po_path in catalogues:
            try:
                catalogue = polib.pofile(str(po_path))
            except (OSError, ValueError) as error:
                raise CommandError(f"{po_path}: {error}") from error
            mo_path = po_path.with_suffix(".mo")
            catalogue.save_as_mofile(str(mo_path))
            self.stdout.write(
                f"{mo_path}: {len(catalogue.translated_entries())} translated messages"
            )
