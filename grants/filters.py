"""The grants' FilterSet: the comparison page, its exports and the API share it."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from core.filters import FastFormFilterSet
from grants.models import Grant
from territories.filters import TerritoryFilter
from territories.models import Collectivite, CollectiviteKind


class YearFilter(django_filters.Filter):
    """A year, typed in a text box: an <input type="number"> holding what the visitor typed
    wrong ("deux-mille", shown back with its error) would be invalid HTML."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]{4}"})
        )
        super().__init__(*args, **kwargs)


class GrantFilterSet(FastFormFilterSet):
    """Grants by attribuant, collectivité type, year and territory. No free-text search: the
    comparison stays by name (never a ranking by amount)."""

    attribuant = django_filters.ModelChoiceFilter(
        label=_("Collectivité attribuante"),
        queryset=Collectivite.objects.published().order_by("name").only("pk", "slug", "name"),
        to_field_name="slug",
        field_name="collectivite",
        empty_label=_("Toutes"),
    )
    type = django_filters.ChoiceFilter(
        label=_("Type de collectivité"),
        choices=CollectiviteKind.choices,
        field_name="collectivite__kind",
        empty_label=_("Tous"),
    )
    annee = YearFilter(
        label=_("Année"),
        field_name="year",
        min_value=1990,
        max_value=2100,
        help_text=_("Année de la convention (dateConvention), par exemple 2024."),
    )
    territoire = TerritoryFilter(
        label=_("Territoire"),
        help_text=_(
            "Commune, code postal, département, région ou intercommunalité : les subventions "
            "des collectivités dont le territoire s'y trouve."
        ),
    )

    class Meta:
        model = Grant
        fields = ["attribuant", "type", "annee", "territoire"]

    @property
    def territory(self):
        """The territory the list is filtered on, once the filters are valid."""
        if not (self.is_bound and self.form.is_valid()):
            return None
        return self.form.cleaned_data.get("territoire")
