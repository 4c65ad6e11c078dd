from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from territories.models import Collectivite, StaffMembership, StaffRole

DEMO_PASSWORD = "demo-essdir-2026"


class Command(BaseCommand):
    help = (
        "Development only: create one demo editor per collectivité "
        f"(username editeur-<slug>, password {DEMO_PASSWORD}). Refused when DEBUG is off."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Refused: demo accounts are for development only (DEBUG is off).")
        User = get_user_model()
        with transaction.atomic():
            for collectivite in Collectivite.objects.order_by("slug"):
                username = f"editeur-{collectivite.slug}"[:150]
                user, created = User.objects.get_or_create(
                    username=username,
                    defaults={"is_staff": True, "email": f"{username}@example.org"},
                )
                if created:
                    user.set_password(DEMO_PASSWORD)
                    user.save()
                StaffMembership.objects.get_or_create(
                    user=user, collectivite=collectivite, defaults={"role": StaffRole.EDITOR}
                )
                self.stdout.write(f"{username} → {collectivite}")
        self.stdout.write(self.style.SUCCESS(f"Password of every demo account: {DEMO_PASSWORD}"))
