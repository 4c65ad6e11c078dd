import time

from django.core.management.base import BaseCommand, CommandError

from actors.management.refresh import announce_refresh
from actors.sirene.runs import refresh_directory
from actors.sirene.units import SireneImportError


class Command(BaseCommand):
    help = (
        "Rebuild where every actor acts, the ESS panorama of every territory and the map's "
        "cells (run nightly, and after reloading the geography); finishes what an "
        "interrupted SIRENE import left undone."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        try:
            result = refresh_directory()
        except SireneImportError as error:
            raise CommandError(str(error)) from error
        written = ", ".join(f"{count} {name}" for name, count in result.counts.items())
        self.stdout.write(self.style.SUCCESS(f"{written} in {time.monotonic() - started:.1f} s."))
        for note in result.notes:
            self.stdout.write(self.style.WARNING(note))
        announce_refresh(self)
