"""Filters every list shares, whatever it lists."""

import django_filters
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from essdir.core.widgets import FastSelect

# The code of a validation error that asks the visitor to choose among candidates: the
# page answers 200 with the choices rather than 400.
AMBIGUOUS = "ambiguous"


class SearchFilter(django_filters.CharFilter):
    """Free text, through the queryset's `search()`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", _("Mots-clés"))
        kwargs.setdefault("max_length", settings.QUERY_MAX_LENGTH)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value or not value.strip():
            return qs
        return qs.search(value)


class FastFormFilterSet(django_filters.FilterSet):
    """A FilterSet whose selects render without a template per option (see FastSelect)."""

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            for field in form.fields.values():
                if type(field.widget) is forms.Select:
                    field.widget = FastSelect(attrs=field.widget.attrs, choices=field.choices)
        return self._form
