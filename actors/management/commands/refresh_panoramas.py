import time

from django.core.management.base import BaseCommand

from actors.derived import refresh_derived_data


class Command(BaseCommand):
    help = (
        "Rebuild where every actor acts, the ESS panorama of every territory and the map's "
        "cells (run nightly, and after reloading the geography)."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        counts = refresh_derived_data()
        written = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"{written} in {time.monotonic() - started:.1f} s."))
