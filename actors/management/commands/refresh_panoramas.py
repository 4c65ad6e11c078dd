import time

from django.core.management.base import BaseCommand

from actors.services import refresh_actor_places, refresh_panoramas


class Command(BaseCommand):
    help = (
        "Rebuild where every actor acts and recompute the ESS panorama of every territory "
        "(run nightly, and after reloading the geography)."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        places = refresh_actor_places()
        panoramas = refresh_panoramas()
        self.stdout.write(
            self.style.SUCCESS(
                f"{places} places, {panoramas} panoramas in {time.monotonic() - started:.1f} s."
            )
        )
