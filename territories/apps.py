from django.apps import AppConfig
from django.db.backends.signals import connection_created


class TerritoriesConfig(AppConfig):
    name = "territories"
    verbose_name = "Territoires et collectivités"

    def ready(self) -> None:
        from territories.search import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="essdir_sqlite_fold")
