from django.apps import AppConfig


class GrantsConfig(AppConfig):
    """Who funds whom: the grants collectivités award, from their SCDL « Subventions » files."""

    name = "grants"
    verbose_name = "Subventions"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from core.caching import track
        from grants.models import GrantFile

        # The page cache's family "grants": a write to a grant moves it on. A file
        # published, archived or deleted here makes every cached page stale (the pages of
        # the collectivités and structures it names); imports write grants in bulk (no
        # signals) and move the version on themselves.
        track("grants")
        for signal in (post_save, post_delete):
            signal.connect(_changed, sender=GrantFile, dispatch_uid=f"grants_cache_{id(signal)}")


def _changed(sender, **kwargs) -> None:
    from core.caching import bump_content_version

    bump_content_version()
