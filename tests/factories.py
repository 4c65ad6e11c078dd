"""factory_boy factories; territories come from the test geography (tests/geo.py)."""

import datetime

import factory
from django.utils import timezone
from django.utils.text import slugify

from actors.derived import refresh_actor_places
from actors.models import Actor, Establishment
from events.models import Event, EventParticipation
from territories.models import (
    Budget,
    BudgetLine,
    Collectivite,
    Contact,
    PublicationStatus,
    Scheme,
    SchemeFunder,
    Territory,
    Theme,
)


def territory(short_slug: str) -> Territory:
    return Territory.objects.get(short_slug=short_slug)


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Thème {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))


class CollectiviteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collectivite

    name = factory.Sequence(lambda n: f"Collectivité {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    kind = "departement"
    territory = factory.LazyFunction(lambda: territory("departement-54"))
    status = PublicationStatus.PUBLISHED


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact
        skip_postgeneration_save = True

    collectivite = factory.SubFactory(CollectiviteFactory)
    name = factory.Sequence(lambda n: f"Personne {n}")
    role = "agent"
    title = "Chargée de mission ESS"
    status = PublicationStatus.PUBLISHED

    @factory.post_generation
    def territories(self, create, extracted, **kwargs):
        if create:
            self.territories.set(extracted or [self.collectivite.territory])


class SchemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Scheme

    name = factory.Sequence(lambda n: f"Dispositif {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    kind = "appel_a_projets"
    collectivite = factory.SubFactory(CollectiviteFactory)
    territory = factory.LazyAttribute(lambda o: o.collectivite.territory)
    status = PublicationStatus.PUBLISHED


class SchemeFunderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchemeFunder

    scheme = factory.SubFactory(SchemeFactory)
    collectivite = factory.SubFactory(CollectiviteFactory)


class BudgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Budget

    collectivite = factory.SubFactory(CollectiviteFactory)
    year = 2025
    status = PublicationStatus.PUBLISHED


class BudgetLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BudgetLine

    budget = factory.SubFactory(BudgetFactory)
    label = factory.Sequence(lambda n: f"Ligne {n}")
    section = "fonctionnement"
    amount = 1000


class ActorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Actor

    name = factory.Sequence(lambda n: f"Structure {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    territory = factory.LazyFunction(lambda: territory("commune-54528"))
    status = PublicationStatus.PUBLISHED

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        # As the services do after every write: where the actor acts.
        super()._after_postgeneration(instance, create, results)
        if create:
            refresh_actor_places(actor_ids=[instance.pk])


class EstablishmentFactory(factory.django.DjangoModelFactory):
    """An open establishment; give it `longitude` and `latitude` to put it on the map."""

    class Meta:
        model = Establishment

    actor = factory.SubFactory(ActorFactory)
    siret = factory.Sequence(lambda n: f"{n:014d}")
    nic = factory.LazyAttribute(lambda o: o.siret[-5:])

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        # As the SIRENE import does: the establishment's commune is where its actor acts.
        super()._after_postgeneration(instance, create, results)
        if create:
            refresh_actor_places(actor_ids=[instance.actor_id])


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    title = factory.Sequence(lambda n: f"Événement {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.title))
    kind = "forum"
    # Upcoming whatever the day the suite runs (a fixed date passed on 2026-12-04, Paris
    # time, and the lists of upcoming events lost it): a week after today in Paris.
    start_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=7))
    date_precision = "day"
    territory = factory.LazyFunction(lambda: territory("commune-54528"))
    status = PublicationStatus.PUBLISHED


class EventParticipationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventParticipation

    event = factory.SubFactory(EventFactory)
    role = "organiser"
    collectivite = factory.SubFactory(CollectiviteFactory)
