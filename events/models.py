"""ESS events: forums, business meetings, conferences… by territory."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.choices import ChoiceLabelsMixin
from core.prefetches import KeptPrefetch
from core.publication import PublicationStatus
from core.routing import cached_reverse
from core.search import refresh_search_context, text_search
from territories.models import OwnedQuerySet, SourcedRecord, TerritorialQuerySet, Territory


class EventKind(models.TextChoices):
    FORUM = "forum", _("Forum")
    RENCONTRES_AFFAIRES = "rencontres_affaires", _("Rendez-vous d'affaires")
    CONFERENCE = "conference", _("Conférence")
    SEMINAIRE = "seminaire", _("Séminaire")
    WEBINAIRE = "webinaire", _("Webinaire")
    PORTES_OUVERTES = "portes_ouvertes", _("Portes ouvertes et visites")
    PETIT_DEJEUNER = "petit_dejeuner", _("Petit-déjeuner")
    REUNION_RESEAU = "reunion_reseau", _("Rencontre de réseau")
    LANCEMENT = "lancement", _("Lancement")
    APPEL_ACTION = "appel_action", _("Appel à l'action")
    ATELIER = "atelier", _("Atelier")
    AUTRE = "autre", _("Autre")


class DatePrecision(models.TextChoices):
    DAY = "day", _("Jour")
    MONTH = "month", _("Mois")
    YEAR = "year", _("Année")
    UNKNOWN = "unknown", _("Date incomplète")


class Recurrence(models.TextChoices):
    YEARLY = "yearly", _("Tous les ans")
    QUARTERLY = "quarterly", _("Tous les trimestres")
    MONTHLY = "monthly", _("Tous les mois")


class ScheduleStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Programmé")
    CANCELLED = "cancelled", _("Annulé")


def undated_condition() -> Q:
    """The source gives no full date: no start date, or day and month without a year."""
    return Q(start_date__isnull=True) | Q(date_precision=DatePrecision.UNKNOWN)


def incomplete_condition() -> Q:
    """No full date and no rhythm (recurrence) that would make it come back."""
    return undated_condition() & Q(recurrence="", recurrence_label="")


def _participations(role: str):
    # What a prefetch of an event's parties in `role` gives (core.prefetches.KeptPrefetch).
    return (
        EventParticipation.objects.filter(role=role)
        .select_related("collectivite", "actor")
        .order_by("pk")
    )


def _public_participations(role: str):
    return _participations(role).filter(
        Q(collectivite__status=PublicationStatus.PUBLISHED)
        # A hidden structure is published but off the site (Actor.published).
        | Q(actor__status=PublicationStatus.PUBLISHED, actor__hidden=False)
    )


# The columns of an event's card (EventQuerySet.for_cards): includes/_event.html and its
# date (includes/_event_date.html, with Event.date_is_incomplete), its key and slug.
CARD_FIELDS = (
    "id",
    "slug",
    "status",
    "title",
    "kind",
    "territory",
    "online",
    "schedule_status",
    "date_precision",
    "start_date",
    "end_date",
    "start_time",
    "end_time",
    "year_inferred",
    "date_label",
    "recurrence",
    "recurrence_label",
)


def _agenda_bound(today: datetime.date):
    """The first start date of the agenda: that of the earliest event still running (its
    end date indexed), or today."""
    still_running = (
        Event.objects.filter(end_date__gte=today, start_date__lt=today)
        .order_by("start_date")
        .values("start_date")[:1]
    )
    return Coalesce(Subquery(still_running), Value(today))


class EventQuerySet(TerritorialQuerySet, OwnedQuerySet):
    def owned_by(self, collectivites):
        """Events one of `collectivites` keeps up to date or organises."""
        return self.filter(
            Q(collectivite__in=collectivites)
            | Q(
                pk__in=EventParticipation.objects.filter(
                    collectivite__in=collectivites, role=ParticipationRole.ORGANISER
                ).values("event_id")
            )
        )

    def involving(self, *, collectivite=None, actor=None):
        """Events that `collectivite` or `actor` organises or partners (no duplicates)."""
        party = {"collectivite": collectivite} if collectivite is not None else {"actor": actor}
        return self.filter(pk__in=EventParticipation.objects.filter(**party).values("event_id"))

    def with_last_day(self):
        return self.annotate(last_day=Coalesce("end_date", "start_date"))

    def upcoming(self, today: datetime.date):
        """Dated events that end today or later, soonest first."""
        # The agenda's index is in start order, and past events come first in it: without
        # a lower bound, finding the next 20 walked every past event (12 ms on 20 000). The
        # bound is the start of the earliest event still running (its end date indexed),
        # or today, so that the scan begins where the agenda does.
        return self.filter(
            Q(start_date__gte=today) | Q(end_date__gte=today),
            date_precision=DatePrecision.DAY,
            start_date__gte=_agenda_bound(today),
        ).order_by("start_date", "start_time", "pk")

    def upcoming_in(self, territory: Territory, today: datetime.date):
        """upcoming(today) of the events in `territory` or inside it (in_territory()), read
        from their stored places (EventPlace) in the agenda's order: one range of an index
        from the agenda's bound on, whatever the territory's size, where the agenda's order
        walked every upcoming event of France to keep those of the territory (a région:
        7 268 walked for 673 kept, 18 ms on the benchmark's 20 000 events)."""
        # One filter() call: one join of the places, which the order reuses.
        return self.filter(
            Q(start_date__gte=today) | Q(end_date__gte=today),
            date_precision=DatePrecision.DAY,
            places__territory=territory,
            places__start_date__gte=_agenda_bound(today),
        ).order_by("places__start_date", "places__start_time", "places__event_id")

    def past(self, today: datetime.date):
        """Events over before `today` (partial dates count by their last possible day),
        then those whose source gives no full date and no rhythm ("date incomplète": a day
        and month without a year, or nothing), which are never listed as upcoming."""
        dated_past = (
            Q(date_precision=DatePrecision.DAY, last_day__lt=today)
            | Q(date_precision=DatePrecision.MONTH, start_date__lt=today.replace(day=1))
            | Q(date_precision=DatePrecision.YEAR, start_date__year__lt=today.year)
        )
        return (
            self.with_last_day()
            .filter((Q(start_date__isnull=False) & dated_past) | incomplete_condition())
            # In the order of the index of migration 0011 (event_public_past_order).
            .order_by(F("start_date").desc(nulls_last=True), "-pk")
        )

    def undated(self):
        """Events whose source gives no full date (recurring, or day and month only)."""
        return self.filter(undated_condition())

    def recurring_undated(self):
        """Events without a full date that their source says come back (every year in
        November, quarterly…): listed apart beside the upcoming ones ("Dates à préciser")."""
        return self.filter(undated_condition()).exclude(incomplete_condition())

    def incomplete(self):
        """Events without a full date whose source gives no rhythm either: "date
        incomplète", among the past events, never guessed nor listed as upcoming."""
        return self.filter(incomplete_condition())

    def search(self, query: str):
        """Events matching `query`, best first (see core.search)."""
        return text_search(
            self,
            query,
            [
                ("title", "A"),
                ("venue", "B"),
                ("date_label", "B"),
                ("search_context", "B"),
                ("description", "C"),
            ],
        )

    def for_list(self):
        return self.select_related("territory")

    def for_cards(self):
        """for_list() with only what an event's card shows (templates/includes/_event.html):
        the agenda and the events of the other pages. Its description, address and figures
        are most of a row; the feeds, the calendar files and the exports read whole rows
        (for_list())."""
        return self.for_list().only(*CARD_FIELDS, "territory__name")

    def for_search(self):
        """What a search result shows: territory and organisers."""
        return self.select_related("territory").prefetch_related(
            KeptPrefetch(
                "participations",
                _participations,
                ParticipationRole.ORGANISER,
                to_attr="organiser_links",
            )
        )

    def refresh_search_context(self) -> int:
        """Keep what events are found by: their themes, territory, organisers and partners."""
        return refresh_search_context(
            self.select_related("territory").prefetch_related(
                "themes", "participations__collectivite", "participations__actor"
            ),
            lambda event: [
                *(theme.name for theme in event.themes.all()),
                event.territory.name if event.territory else "",
                *(str(link.party) for link in event.participations.all()),
            ],
        )

    def for_detail(self):
        """An event with its published organisers and partners (`organisers`, `partners`)."""
        return self.select_related("territory").prefetch_related(
            "sources",
            "themes",
            *(
                KeptPrefetch("participations", _public_participations, role, to_attr=attribute)
                for role, attribute in (
                    (ParticipationRole.ORGANISER, "organiser_links"),
                    (ParticipationRole.PARTNER, "partner_links"),
                )
            ),
        )


class Event(SourcedRecord):
    title = models.CharField("titre", max_length=300)
    slug = models.SlugField("identifiant", max_length=140, unique=True)
    kind = models.CharField("type", max_length=30, choices=EventKind.choices)
    description = models.TextField("description", blank=True)
    themes = models.ManyToManyField(
        "territories.Theme", verbose_name="thèmes", blank=True, related_name="events"
    )
    start_date = models.DateField("date de début", null=True, blank=True, db_index=True)
    date_precision = models.CharField(
        "précision de la date",
        max_length=10,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
    )
    date_label = models.CharField("date (libellé de la source)", max_length=200, blank=True)
    year_inferred = models.BooleanField(
        "année déduite",
        default=False,
        help_text="La source donne le jour de la semaine, le jour et le mois sans l'année : "
        "l'année est celle, seule possible à un an près de la date du document, où ce jour "
        "tombe ce jour de la semaine (« jeudi 2 décembre » dans un document du 24/11/2021 : "
        "2021). Le site le dit.",
    )
    start_time = models.TimeField("heure de début", null=True, blank=True)
    end_date = models.DateField("date de fin", null=True, blank=True)
    end_time = models.TimeField("heure de fin", null=True, blank=True)
    venue = models.CharField("lieu", max_length=300, blank=True)
    address = models.TextField("adresse", blank=True)
    territory = models.ForeignKey(
        Territory,
        verbose_name="territoire",
        on_delete=models.PROTECT,
        related_name="events",
        null=True,
        blank=True,
    )
    collectivite = models.ForeignKey(
        "territories.Collectivite",
        verbose_name="collectivité responsable de la fiche",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_events",
        help_text="Celle dont l'équipe tient la fiche à jour.",
    )
    online = models.BooleanField("en ligne", default=False)
    registration_url = models.URLField("inscription", max_length=500, blank=True)
    mois_ess = models.BooleanField("Mois de l'ESS", default=False)
    recurrence = models.CharField(
        "récurrence", max_length=12, choices=Recurrence.choices, blank=True
    )
    recurrence_label = models.CharField(
        "récurrence (libellé de la source)", max_length=200, blank=True
    )
    schedule_status = models.CharField(
        "état", max_length=12, choices=ScheduleStatus.choices, default=ScheduleStatus.SCHEDULED
    )
    registered_structures = models.PositiveIntegerField(
        "structures inscrites", null=True, blank=True
    )
    appointments = models.PositiveIntegerField("rendez-vous", null=True, blank=True)
    exhibitors = models.PositiveIntegerField("exposants", null=True, blank=True)
    candidates = models.PositiveIntegerField("candidats", null=True, blank=True)
    visitors = models.PositiveIntegerField("visiteurs", null=True, blank=True)
    participants = models.PositiveIntegerField("participants", null=True, blank=True)

    # What the record is found by besides its own fields (refresh_search_context()).
    search_context = models.TextField(blank=True, default="", editable=False)
    objects = EventQuerySet.as_manager()

    history = HistoricalRecords()

    class Meta:
        verbose_name = "événement"
        verbose_name_plural = "événements"
        ordering = ["start_date", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=False, end_date__gte=F("start_date")),
                name="event_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=False) | Q(date_precision=DatePrecision.UNKNOWN),
                name="event_precision_needs_date",
            ),
            models.CheckConstraint(
                condition=Q(year_inferred=False)
                | Q(start_date__isnull=False, date_precision=DatePrecision.DAY),
                name="event_inferred_year_dated",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "start_date"], name="event_status_start"),
            models.Index(fields=["start_date", "start_time", "id"], name="event_agenda_order"),
            models.Index(fields=["end_date"], name="event_end_date"),
            # The agenda's public, dated events with both their dates: "upcoming" counted
            # from the index alone (7 000 events: 6 -> 1 ms), never from the table.
            models.Index(
                fields=["start_date", "end_date"],
                condition=Q(status="published", date_precision=DatePrecision.DAY),
                name="event_public_dated",
            ),
            # "Dates à préciser" on the agenda: a few dozen rows among thousands.
            # The same by territory: a large territory's agenda (Nord: 665 communes) probes
            # each of its places' next events, where the agenda's order walked every
            # upcoming event of France to keep 1 in 25 (17 -> 3 ms on 20 000 events).
            models.Index(
                fields=["territory", "start_date", "end_date"],
                condition=Q(status="published", date_precision=DatePrecision.DAY),
                name="event_public_dated_place",
            ),
            models.Index(
                fields=["title"],
                condition=Q(start_date__isnull=True) | Q(date_precision=DatePrecision.UNKNOWN),
                name="event_undated_title",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return cached_reverse("events:detail", slug=self.slug)

    def clean(self) -> None:
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "La fin précède le début."})
        if self.end_date and not self.start_date:
            raise ValidationError({"start_date": "Une date de fin demande une date de début."})
        if self.start_date is None and self.date_precision != DatePrecision.UNKNOWN:
            raise ValidationError({"date_precision": "Sans date, la précision est « incomplète »."})
        if self.year_inferred and not (
            self.start_date and self.date_precision == DatePrecision.DAY
        ):
            raise ValidationError(
                {"year_inferred": "Une année déduite demande une date au jour près."}
            )

    def is_owned_by(self, collectivite_ids: set[int]) -> bool:
        # A deleted event kept its owner column; its participations went with it.
        return self.collectivite_id in collectivite_ids

    @property
    def is_over(self) -> bool:
        """Whether the event ended before today (in Paris)."""
        last_day = self.end_date or self.start_date
        return bool(last_day and last_day < timezone.localdate())

    @property
    def is_recurring(self) -> bool:
        """Whether the source gives it a rhythm (every year, quarterly, "réguliers"…)."""
        return bool(self.recurrence or self.recurrence_label)

    @property
    def date_is_incomplete(self) -> bool:
        """No full date and no rhythm: "date incomplète", among the past events."""
        undated = self.start_date is None or self.date_precision == DatePrecision.UNKNOWN
        return undated and not self.is_recurring

    @property
    def has_full_date(self) -> bool:
        """Whether the source gives the day: only then can it go into a calendar."""
        return bool(self.start_date and self.date_precision == DatePrecision.DAY)


class ParticipationRole(models.TextChoices):
    ORGANISER = "organiser", _("Organisateur")
    PARTNER = "partner", _("Partenaire")


class EventParticipation(ChoiceLabelsMixin, models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="participations")
    role = models.CharField("rôle", max_length=10, choices=ParticipationRole.choices)
    collectivite = models.ForeignKey(
        "territories.Collectivite",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="event_participations",
    )
    actor = models.ForeignKey(
        "actors.Actor",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="event_participations",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "organisateur ou partenaire"
        verbose_name_plural = "organisateurs et partenaires"
        constraints = [
            models.CheckConstraint(
                condition=Q(collectivite__isnull=False, actor__isnull=True)
                | Q(collectivite__isnull=True, actor__isnull=False),
                name="participation_one_party",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.party} ({self.get_role_display()})"

    @property
    def party(self):
        return self.collectivite or self.actor


class EventPlace(models.Model):
    """`event`'s territory lies inside `territory` (TerritoryInclusion, each territory
    containing itself), with the event's start (the agenda's order).

    Derived data, kept by events.derived.refresh_event_places() whenever an event is saved
    or the geography's inclusions change: a territory's upcoming events are then one range
    of an index (EventQuerySet.upcoming_in()), whatever the territory's size.
    """

    # Found by event through the unique constraint's index, which starts with it; by
    # territory through the index of the agenda's order.
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="places", db_index=False
    )
    territory = models.ForeignKey(
        Territory, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    start_date = models.DateField("date de début", null=True, blank=True)
    start_time = models.TimeField("heure de début", null=True, blank=True)

    class Meta:
        verbose_name = "lieu d'un événement"
        verbose_name_plural = "lieux des événements"
        constraints = [
            models.UniqueConstraint(fields=["event", "territory"], name="event_place_unique"),
        ]
        indexes = [
            models.Index(
                fields=["territory", "start_date", "start_time", "event"], name="event_place_agenda"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} @ {self.territory_id}"
