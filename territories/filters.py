"""FilterSets of the public lists. `q` and `territoire` mean the same on every list."""

from __future__ import annotations

from collections.abc import Callable

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.filters import AMBIGUOUS, FastFormFilterSet, SearchFilter
from core.search import Candidates, ranked_candidates
from territories import statements
from territories.models import (
    SLUG_RE,
    Collectivite,
    CollectiviteKind,
    Scheme,
    SchemeKind,
    Territory,
    TerritoryKind,
    Theme,
    territory_by_slug,
)


def resolve_territory(text: str) -> Territory | None:
    """The territory a slug or a short form (`departement-54`) names, if any."""
    value = text.strip().lower()
    return territory_by_slug(value) if SLUG_RE.match(value) else None


class TerritoryInput(forms.TextInput):
    """A text box that suggests territories while typing, when JavaScript runs."""

    def __init__(self, attrs=None):
        super().__init__(
            {"autocomplete": "off", "data-suggest-url": reverse_lazy("territories:suggestions")}
            | (attrs or {})
        )


class TerritoryField(forms.CharField):
    """A territory as people type it: commune, postal code, département, région, EPCI or
    grouping name or number, or a slug. `matches` keeps the candidates of an ambiguous text."""

    widget = TerritoryInput
    max_choices = 10

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 250)
        kwargs.setdefault(
            "help_text", _("Commune, code postal, département, région ou intercommunalité.")
        )
        super().__init__(*args, **kwargs)
        self.matches: list[Territory] = []

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        matches = Territory.objects.matching_text(value, limit=self.max_choices)
        if len(matches) == 1:
            # The suggestion script shows the name of a territory submitted by its slug.
            self.widget.attrs["data-suggest-label"] = str(matches[0])
            return matches[0]
        shown = value.strip()[:80]
        if not matches:
            raise ValidationError(
                _(
                    "Territoire inconnu : « %(value)s ». Indiquez une commune, un code postal, "
                    "un département (nom ou numéro), une région ou une intercommunalité."
                ),
                params={"value": shown},
                code="unknown_territory",
            )
        self.matches = matches[: self.max_choices]
        raise ValidationError(
            _("Plusieurs territoires correspondent à « %(value)s » : choisissez le vôtre."),
            params={"value": shown},
            code=AMBIGUOUS,
        )


class TerritoryFilter(django_filters.Filter):
    """Keeps the rows of a territory, through the queryset method named `through`: by
    default `in_territory()` (each list's own meaning of "in this territory": see the
    README's "Open data"); schemes use `accessible_in()`."""

    field_class = TerritoryField

    def __init__(self, *args, through: str = "in_territory", **kwargs):
        super().__init__(*args, **kwargs)
        self.through = through

    def filter(self, qs, value):
        if value is None:
            return qs
        return getattr(qs, self.through)(value)


class BaseFilterSet(FastFormFilterSet):
    q = SearchFilter()
    territoire = TerritoryFilter(label=_("Territoire"))

    @property
    def qs(self):
        # Once every filter and the order applied: what a search ranks by relevance stays
        # bounded (core.search.ranked_candidates).
        if not hasattr(self, "_bounded_qs"):
            self._ranked = ranked_candidates(super().qs)
            self._bounded_qs = super().qs if self._ranked is None else self._ranked.queryset
        return self._bounded_qs

    @property
    def ranked(self) -> Candidates | None:
        """When `qs` holds only the best candidates of a search ranked by relevance: how
        many, and whether more rows matched (so that the list says "plus de"); else None."""
        self.qs  # noqa: B018 (computes them)
        return self._ranked

    @property
    def territory(self) -> Territory | None:
        """The territory the list is filtered on, once the filters are valid."""
        if not (self.is_bound and self.form.is_valid()):
            return None
        return self.form.cleaned_data.get("territoire")

    @property
    def searched(self) -> bool:
        """Whether the list is narrowed by words, once the filters are valid."""
        return bool(self.is_bound and self.form.is_valid() and self.form.cleaned_data.get("q"))


class CollectiviteFilterSet(BaseFilterSet):
    kind = django_filters.ChoiceFilter(
        label=_("Type"), choices=CollectiviteKind.choices, empty_label=_("Tous")
    )
    region = django_filters.ModelChoiceFilter(
        label=_("Région"),
        queryset=Territory.objects.filter(kind=TerritoryKind.REGION)
        .order_by("name")
        .only("pk", "kind", "code", "name"),
        to_field_name="code",
        method="filter_inside",
        empty_label=_("Toutes"),
    )
    departement = django_filters.ModelChoiceFilter(
        label=_("Département"),
        queryset=Territory.objects.filter(kind=TerritoryKind.DEPARTEMENT)
        .order_by("code")
        .only("pk", "kind", "code", "name"),
        to_field_name="code",
        method="filter_inside",
        empty_label=_("Tous"),
    )

    class Meta:
        model = Collectivite
        fields = ["q", "kind", "region", "departement", "territoire"]

    def filter_inside(self, queryset, name, value):
        return queryset.in_territory(value)


class SchemeFilterSet(BaseFilterSet):
    # What is accessible there, as on the territory's page and in the contact finder.
    territoire = TerritoryFilter(
        label=_("Territoire"),
        through="accessible_in",
        help_text=_(
            "Commune, code postal, département, région ou intercommunalité : les dispositifs "
            "qui y sont accessibles, ceux des collectivités qui le couvrent (sa région, son "
            "département, son intercommunalité…) et ceux portés à l'intérieur."
        ),
    )
    funder = django_filters.ModelChoiceFilter(
        label=_("Financeur"),
        queryset=Collectivite.objects.published().order_by("name").only("pk", "slug", "name"),
        to_field_name="slug",
        method="filter_funder",
        empty_label=_("Tous"),
    )
    kind = django_filters.ChoiceFilter(
        label=_("Nature"), choices=SchemeKind.choices, empty_label=_("Toutes")
    )
    theme = django_filters.ModelChoiceFilter(
        label=_("Thème"),
        queryset=Theme.objects.all(),
        to_field_name="slug",
        field_name="themes",
        empty_label=_("Tous"),
    )
    ouvert = django_filters.BooleanFilter(
        label=_("Candidatures ouvertes aujourd'hui"),
        method="filter_open",
        widget=forms.CheckboxInput,
        help_text=_(
            "Seulement les dispositifs dont la source donne des dates de candidature qui "
            "comprennent aujourd'hui. La plupart des sources n'en donnent pas : ces "
            "dispositifs ne sont alors jamais comptés comme ouverts."
        ),
    )

    class Meta:
        model = Scheme
        fields = ["q", "funder", "kind", "theme", "territoire", "ouvert"]

    # A few thousand schemes at most: the page's keys count them all (core.pagination).
    keys_counted = True

    def listing_keys(self):
        """The listed schemes' ids in the list's order (core.pagination.BoundedPaginator's
        `keys`): the current schemes first, by name, is an order no index holds, so the
        whole list is sorted on every page; sorting the ids alone, without the carriers'
        and territories' columns, costs a quarter (5 000 schemes: 8.3 -> 1.9 ms)."""
        return self.qs.values_list("pk", flat=True)

    def counted_keys(self) -> Callable[[int, int], list[tuple[int, int]]] | None:
        """When the list is narrowed by its territory alone: the reader of a page's keys
        and of the count of all (BoundedPaginator's `counted_keys`), a kept statement
        (territories.statements.listed_scheme_keys), so that the list's filters are
        neither built nor compiled; else None (listing_keys() is read)."""
        if not (self.is_bound and self.form.is_valid()):
            return None
        data = self.form.cleaned_data
        narrowing = {name for name, value in data.items() if value not in (None, "", [], False)}
        if narrowing != {"territoire"}:
            return None
        territory = data["territoire"]

        def read(bottom: int, size: int) -> list[tuple[int, int]]:
            return statements.listed_scheme_keys.rows(
                territory_id=territory.pk, bottom=bottom, size=size
            )

        return read

    def filter_funder(self, queryset, name, value):
        return queryset.funded_by(value)

    def filter_open(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.open_on(timezone.localdate())

    @property
    def open_only(self) -> bool:
        """Whether the visitor asked for the schemes open today (the page says what it
        means)."""
        return bool(self.is_bound and self.form.is_valid() and self.form.cleaned_data["ouvert"])


class BudgetComparisonFilterSet(FastFormFilterSet):
    """The budgets compared, by collectivité type and territory. No free-text search: its
    ranking would reorder the rows, which stay by name (never a ranking by amount)."""

    type = django_filters.ChoiceFilter(
        label=_("Type de collectivité"),
        choices=CollectiviteKind.choices,
        field_name="kind",
        empty_label=_("Tous"),
    )
    territoire = TerritoryFilter(label=_("Territoire"))

    class Meta:
        model = Collectivite
        fields = ["type", "territoire"]

    @property
    def territory(self) -> Territory | None:
        """The territory the comparison is filtered on, once the filters are valid."""
        if not (self.is_bound and self.form.is_valid()):
            return None
        return self.form.cleaned_data.get("territoire")
