from django.apps import AppConfig
from django.db.backends.signals import connection_created


class TerritoriesConfig(AppConfig):
    name = "territories"
    verbose_name = "Territoires et collectivités"

    def ready(self) -> None:
        import essdir.checks  # noqa: F401 (registers the deployment checks)
        from territories.search import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="essdir_sqlite_fold")

        from django.db.models.signals import m2m_changed, post_delete, post_save

        from territories.caching import on_change

        for signal in (post_save, post_delete, m2m_changed):
            signal.connect(on_change, dispatch_uid=f"essdir_cache_{id(signal)}")
