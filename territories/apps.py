from django.apps import AppConfig


class TerritoriesConfig(AppConfig):
    name = "territories"
    verbose_name = "Territoires et collectivités"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from territories import caching, derived
        from territories.models import Collectivite, Scheme

        caching.connect()  # the page cache's family of territories and collectivités
        # Where schemes can be reached (SchemePlace) follows their areas.
        post_save.connect(derived.follow_scheme_area, sender=Scheme, dispatch_uid="scheme_places")
        post_save.connect(
            derived.follow_carrier_territory, sender=Collectivite, dispatch_uid="carrier_places"
        )
