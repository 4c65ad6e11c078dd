from django.apps import AppConfig
from django.core.management import call_command
from django.db.backends.signals import connection_created
from django.db.models.signals import (
    m2m_changed,
    post_delete,
    post_migrate,
    post_save,
    pre_delete,
    pre_save,
)


def rebuild_downloads(sender=None, **kwargs) -> None:
    """After a SIRENE import or the nightly refresh, the national files follow the data
    (README, "Open data"), unless DOWNLOADS_AFTER_REFRESH is off."""
    from django.conf import settings

    from essdir.downloads import build_downloads

    if settings.DOWNLOADS_AFTER_REFRESH:
        build_downloads(wait=True)


def create_cache_table(using="default", **kwargs) -> None:
    """The shared cache's table, when the cache lives in the database (no Redis)."""
    call_command("createcachetable", database=using, verbosity=0)


class EssdirConfig(AppConfig):
    """The project itself: site pages, project-wide commands, checks and infrastructure."""

    name = "essdir"
    verbose_name = "essdir"

    def ready(self) -> None:
        from core.caching import before_change, before_delete, on_change
        from core.search import register_sqlite_functions
        from core.signals import directory_refreshed
        from essdir import checks  # noqa: F401 (registers the system checks)

        connection_created.connect(register_sqlite_functions, dispatch_uid="essdir_sqlite_fold")
        # essdir has no models, so post_migrate is not sent for it: listen to every app's
        # (createcachetable does nothing when the table exists).
        post_migrate.connect(create_cache_table, dispatch_uid="essdir_cache_table")
        # A write to the directory's records moves on, once it commits, the page-cache
        # versions of what it touches (the tags the apps registered, before and after).
        pre_save.connect(before_change, dispatch_uid="essdir_cache_pre_save")
        pre_delete.connect(before_delete, dispatch_uid="essdir_cache_pre_delete")
        for signal in (post_save, post_delete, m2m_changed):
            signal.connect(on_change, dispatch_uid=f"essdir_cache_{id(signal)}")
        directory_refreshed.connect(rebuild_downloads, dispatch_uid="essdir_downloads")
