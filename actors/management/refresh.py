"""What the directory's bulk commands do once their data is committed."""

from django.core.management.base import BaseCommand, CommandError

from core.signals import directory_refreshed


def announce_refresh(command: BaseCommand) -> None:
    """Tell the site that the directory was refreshed (it rebuilds the national files).

    The refresh itself is committed and stays: a receiver's failure is reported and makes
    the command exit non-zero, so that cron mails it, without undoing the import."""
    failures = [
        f"{receiver.__module__}.{receiver.__qualname__}: {result}"
        for receiver, result in directory_refreshed.send_robust(sender=type(command))
        if isinstance(result, Exception)
    ]
    if failures:
        raise CommandError("Données importées, mais : " + " ; ".join(failures))
