"""`python manage.py match_grants`: link every grant to the structures again."""

from django.core.management.base import BaseCommand

from grants.services import rematch


class Command(BaseCommand):
    help = (
        "Rapproche à nouveau chaque subvention d'une structure de l'annuaire, par SIRET, "
        "SIREN ou numéro RNA (jamais par le nom) : après un import SIRENE, par exemple."
    )

    def handle(self, *args, **options):
        read, changed = rematch()
        self.stdout.write(f"{read} subvention(s) lue(s), {changed} rapprochement(s) modifié(s).")
