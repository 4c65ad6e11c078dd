from django.core.management.base import BaseCommand

from essdir.search import refresh_search_contexts


class Command(BaseCommand):
    help = (
        "Recompute what every record is found by (themes, territories, carriers): after a "
        "bulk load, or after renaming a theme, a territory or a collectivité."
    )

    def handle(self, *args, **options):
        written = refresh_search_contexts()
        self.stdout.write(self.style.SUCCESS(f"Search context refreshed: {written} record(s)."))
