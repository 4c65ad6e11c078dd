"""FilterSets of the public lists. `q` and `territoire` mean the same on every list."""

from __future__ import annotations

import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from essdir.core.filters import FastFormFilterSet, SearchFilter
from territories.models import (
    Collectivite,
    CollectiviteKind,
    Scheme,
    SchemeKind,
    Territory,
    TerritoryKind,
    Theme,
)

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def resolve_territory(text: str) -> Territory | None:
    """The territory a slug or a short form (`departement-54`) names, if any."""
    value = text.strip().lower()
    return Territory.objects.by_slug(value).first() if SLUG_RE.match(value) else None


class TerritoryField(forms.CharField):
    """A territory named by its slug or short form (`departement-54`)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 250)
        super().__init__(*args, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        territory = resolve_territory(value)
        if territory is None:
            raise ValidationError(
                "Territoire inconnu : « %(value)s ». Indiquez par exemple departement-54, "
                "epci-245400676 ou commune-54528.",
                params={"value": value.strip().lower()[:80]},
                code="unknown_territory",
            )
        return territory


class TerritoryFilter(django_filters.Filter):
    """Keeps the rows inside a territory, through the queryset's `in_territory()`."""

    field_class = TerritoryField

    def filter(self, qs, value):
        if value is None:
            return qs
        return qs.in_territory(value)


class BaseFilterSet(FastFormFilterSet):
    q = SearchFilter()
    territoire = TerritoryFilter(label="Territoire (identifiant)")


class CollectiviteFilterSet(BaseFilterSet):
    kind = django_filters.ChoiceFilter(
        label="Type", choices=CollectiviteKind.choices, empty_label="Tous"
    )
    region = django_filters.ModelChoiceFilter(
        label="Région",
        queryset=Territory.objects.filter(kind=TerritoryKind.REGION).order_by("name"),
        to_field_name="code",
        method="filter_inside",
        empty_label="Toutes",
    )
    departement = django_filters.ModelChoiceFilter(
        label="Département",
        queryset=Territory.objects.filter(kind=TerritoryKind.DEPARTEMENT).order_by("code"),
        to_field_name="code",
        method="filter_inside",
        empty_label="Tous",
    )

    class Meta:
        model = Collectivite
        fields = ["q", "kind", "region", "departement", "territoire"]

    def filter_inside(self, queryset, name, value):
        return queryset.in_territory(value)


class SchemeFilterSet(BaseFilterSet):
    funder = django_filters.ModelChoiceFilter(
        label="Financeur",
        queryset=Collectivite.objects.published().order_by("name"),
        to_field_name="slug",
        method="filter_funder",
        empty_label="Tous",
    )
    kind = django_filters.ChoiceFilter(
        label="Nature", choices=SchemeKind.choices, empty_label="Toutes"
    )
    theme = django_filters.ModelChoiceFilter(
        label="Thème",
        queryset=Theme.objects.all(),
        to_field_name="slug",
        field_name="themes",
        empty_label="Tous",
    )
    ouvert = django_filters.BooleanFilter(
        label="Candidatures ouvertes aujourd'hui",
        method="filter_open",
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = Scheme
        fields = ["q", "funder", "kind", "theme", "territoire", "ouvert"]

    def filter_funder(self, queryset, name, value):
        return queryset.funded_by(value)

    def filter_open(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.open_on(timezone.localdate())
