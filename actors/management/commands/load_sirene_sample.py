from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from actors.coverage import SAMPLE_MARK
from actors.sample import STRUCTURES, RealDataPresent, load_sample, remove_sample
from actors.sirene.units import SireneImportError


class Command(BaseCommand):
    help = (
        "Load a FICTITIOUS sample of the SIRENE register (stock files in INSEE's layout, "
        "read by the normal import), to show the panorama and the map in a demonstration: "
        f"every structure is named « {SAMPLE_MARK} … » and the pages say the sample is "
        "there. Only into a directory without real SIRENE data; refused when DEBUG is off. "
        "--remove deletes it whole."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--remove", action="store_true", help="Delete the sample and the record of its load."
        )
        parser.add_argument(
            "--structures",
            type=int,
            default=STRUCTURES,
            help=f"How many fictitious structures (default {STRUCTURES}, at most 5 000).",
        )

    def handle(self, *args, remove, structures, **options):
        if remove:
            count = remove_sample()
            self.stdout.write(
                self.style.SUCCESS(
                    f"Échantillon fictif retiré : {count} structure(s) supprimée(s)."
                )
            )
            return
        if not settings.DEBUG:
            raise CommandError(
                "Refusé : l'échantillon fictif sert aux démonstrations (DEBUG est désactivé)."
            )
        if not 1 <= structures <= 5000:
            raise CommandError("--structures : entre 1 et 5 000.")
        try:
            report = load_sample(structures)
        except RealDataPresent:
            raise CommandError(
                "Refusé : l'annuaire contient déjà des données du répertoire SIRENE. "
                "L'échantillon fictif ne se charge que dans un annuaire sans elles (son import "
                "fermerait leurs établissements et archiverait leurs structures)."
            ) from None
        except SireneImportError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(report.summary)
        self.stdout.write(
            self.style.WARNING(
                f"Échantillon FICTIF chargé : {report.structures} structures « {SAMPLE_MARK} … » "
                f"et {report.establishments} établissements, qui n'existent pas. Les pages le "
                "disent. Retirez-le avec : python manage.py load_sirene_sample --remove "
                "(avant tout import du vrai répertoire, qui les archiverait sans les supprimer)."
            )
        )
