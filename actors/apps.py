from django.apps import AppConfig


class ActorsConfig(AppConfig):
    name = "actors"
    verbose_name = "Acteurs de l'ESS"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_save, pre_delete, pre_save

        from actors import caching, services
        from actors.models import Actor

        caching.connect()  # the page cache's tags of structures

        # The map's precomputed cells follow what staff publish, hide or delete, at once.
        pre_save.connect(services.remember_whether_public, sender=Actor, dispatch_uid="map_pre")
        post_save.connect(services.follow_publicity, sender=Actor, dispatch_uid="map_post")
        pre_delete.connect(services.forget_deleted, sender=Actor, dispatch_uid="map_delete")
        # The lists of each theme follow the structures' themes, at once.
        m2m_changed.connect(
            services.follow_themes, sender=Actor.themes.through, dispatch_uid="theme_listings"
        )
