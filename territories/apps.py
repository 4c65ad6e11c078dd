from django.apps import AppConfig


class TerritoriesConfig(AppConfig):
    name = "territories"
    verbose_name = "Territoires et collectivités"

    def ready(self) -> None:
        from territories import caching

        caching.connect()  # the page cache's family of territories and collectivités
