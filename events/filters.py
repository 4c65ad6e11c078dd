from collections.abc import Callable

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import Event, EventKind
from territories.filters import BaseFilterSet, TerritoryFilter


class PeriodForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("du"), cleaned.get("au")
        if start and end and end < start:
            raise ValidationError(
                _("La date de fin (« au ») précède la date de début (« du ») : inversez-les."),
                code="reversed_period",
            )
        return cleaned


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class OrganiserFilter(django_filters.CharFilter):
    """A collectivité or an actor, by slug, that organises or co-organises events."""

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(
            Q(participations__collectivite__slug=value) | Q(participations__actor__slug=value)
        ).distinct()


class EventFilterSet(BaseFilterSet):
    # A territory's upcoming events are read from their places (filter_queryset()).
    territoire = TerritoryFilter(label=_("Territoire"), method="filter_territory")
    periode = django_filters.ChoiceFilter(
        label=_("Période"),
        choices=[("a-venir", _("À venir")), ("passe", _("Passés")), ("tous", _("Tous"))],
        empty_label=None,
        method="filter_noop",
    )
    du = django_filters.DateFilter(
        label=_("Du"), field_name="start_date", lookup_expr="gte", widget=DateInput
    )
    au = django_filters.DateFilter(
        label=_("Au"), field_name="start_date", lookup_expr="lte", widget=DateInput
    )
    type = django_filters.ChoiceFilter(
        label=_("Type"), field_name="kind", choices=EventKind.choices, empty_label=_("Tous")
    )
    organisateur = OrganiserFilter(label=_("Organisateur (identifiant)"), max_length=120)
    mois_ess = django_filters.BooleanFilter(
        label=_("Mois de l'ESS seulement"), method="filter_mois_ess", widget=forms.CheckboxInput
    )

    class Meta:
        model = Event
        form = PeriodForm
        fields = ["q", "territoire", "periode", "du", "au", "type", "organisateur", "mois_ess"]

    def filter_noop(self, queryset, name, value):
        # Applied last, in filter_queryset(), since it also orders the events.
        return queryset

    def filter_territory(self, queryset, name, value):
        if self.period == "a-venir":
            # Applied with the period (filter_queryset(), undated()): the upcoming events
            # of a territory are read from their places (EventQuerySet.upcoming_in()).
            return queryset
        return queryset.in_territory(value)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        today = timezone.localdate()
        if self.period == "a-venir":
            if self.territory is not None:
                return queryset.upcoming_in(self.territory, today)
            return queryset.upcoming(today)
        if self.period == "passe":
            return queryset.past(today)
        return queryset.order_by(F("start_date").asc(nulls_last=True), "start_time", "pk")

    def filter_mois_ess(self, queryset, name, value):
        return queryset.filter(mois_ess=True) if value else queryset

    @property
    def keys_counted(self) -> bool:
        """Whether a page's keys carry the count of them all (core.pagination's
        `keys_counted`): for a territory's events, which are reached through its places,
        so that counting them and sorting them for a page each read every one of them (the
        Nord's upcoming events: 4.1 ms of counting, then 5.3 ms for the page's twenty)."""
        return self.territory is not None

    @property
    def listing_keys(self) -> Callable[[], QuerySet] | None:
        """The reader of the listed events' ids in the list's order, for a territory's
        list (see keys_counted); else None: the agenda as a whole reads its page's rows
        from the index of its order, and counts them apart, up to its bound."""
        if not self.keys_counted:
            return None
        return lambda: self.qs.values_list("pk", flat=True)

    def undated(self, queryset):
        """`queryset` under the same criteria but any period (events with no full date),
        once the filters are valid: the visitor's filters as validated, with neither a second
        form nor its territory looked up again."""
        queryset = super().filter_queryset(queryset)
        if self.period == "a-venir" and self.territory is not None:
            return queryset.in_territory(self.territory)
        return queryset

    @property
    def period(self) -> str:
        """Upcoming by default; every date when the visitor gives a range of dates."""
        data = self.form.cleaned_data if self.is_bound and self.form.is_valid() else {}
        if data.get("periode"):
            return data["periode"]
        return "tous" if data.get("du") or data.get("au") else "a-venir"
