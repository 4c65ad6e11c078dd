from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from alerts.models import Frequency
from alerts.services import purge_expired, send_due_digests


class Command(BaseCommand):
    help = (
        "Send the e-mail digests that are due (daily, weekly, or both): what is new or changed "
        "in each confirmed alert's search since its last digest. Idempotent: run it as often "
        "as you like, even twice at once (each digest is claimed by one run); a failed message "
        "is retried by the next run. Also deletes the alerts never confirmed in time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--frequency",
            choices=Frequency.values,
            help="Only the alerts of this frequency (default: both).",
        )

    def handle(self, *args, frequency=None, **options):
        now = timezone.now()
        purged = purge_expired(now=now)
        report = send_due_digests(frequency=frequency, now=now)
        summary = (
            f"Alertes : {report.sent} envoyée(s), {report.empty} sans nouveauté, "
            f"{report.failed} en échec, {report.invalid} recherche(s) invalide(s)"
        )
        if report.busy:
            # Not a failure: the other run sends them, or, killed, leaves them to the next.
            summary += f", {report.busy} laissée(s) à un autre passage en cours"
        if report.gone:
            summary += f", {report.gone} supprimée(s) pendant le passage"
        summary += f" ; {purged} alerte(s) non confirmée(s) effacée(s)."
        self.stdout.write(summary)
        if report.held_back:
            # Not an error: what changed since waits for a later run, and will be sent once.
            since = timezone.localtime(report.horizon.moment).strftime("%d/%m/%Y à %H:%M")
            why = (
                "un import SIRENE commencé alors n'a pas fini (lieux non construits)"
                if report.horizon.held_by == "import"
                else "une transaction ouverte depuis n'est pas validée"
            )
            self.stdout.write(
                f"Nouveautés envoyées jusqu'au {since} seulement : {why} ; "
                "la suite partira avec un prochain passage."
            )
        if not report.ok:
            for line in report.errors:
                self.stderr.write(line)
            raise CommandError(
                f"{report.failed + report.invalid} alerte(s) non envoyée(s) : elles seront "
                "réessayées au prochain passage."
            )
