from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Événements"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from core.signals import inclusions_changed
        from events import caching, derived
        from events.models import Event

        caching.connect()  # the page cache's tags of events
        # Where events take place (EventPlace) follows their territories.
        post_save.connect(derived.follow_event, sender=Event, dispatch_uid="event_places")
        inclusions_changed.connect(derived.follow_inclusions, dispatch_uid="event_places")
