from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = "Accompagnement (data·inclusion)"

    def ready(self) -> None:
        from core.caching import track

        # The page cache: a write to the support services makes the pages showing them stale.
        track("support")
