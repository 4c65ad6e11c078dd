from django.apps import AppConfig


class GrantsConfig(AppConfig):
    """Who funds whom: the grants collectivités award, from their SCDL « Subventions » files."""

    name = "grants"
    verbose_name = "Subventions"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from grants.models import GrantFile

        # The page cache follows the directory's apps only (core.caching.TRACKED_APPS): a
        # file published, archived or deleted here makes the cached pages stale itself.
        # Imports write grants in bulk (no signals) and move the version on themselves.
        for signal in (post_save, post_delete):
            signal.connect(_changed, sender=GrantFile, dispatch_uid=f"grants_cache_{id(signal)}")


def _changed(sender, **kwargs) -> None:
    from core.caching import bump_content_version

    bump_content_version()
