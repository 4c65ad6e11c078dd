from django import forms
from django.core.exceptions import ValidationError

from territories.filters import MAX_QUERY_LENGTH, TerritoryField
from territories.models import TerritoryKind


class CommuneField(TerritoryField):
    def clean(self, value):
        territory = super().clean(value)
        if territory is not None and territory.kind != TerritoryKind.COMMUNE:
            raise ValidationError("Choisissez une commune.", code="not_a_commune")
        return territory


class ContactFinderForm(forms.Form):
    q = forms.CharField(
        label="Code postal, commune ou code INSEE",
        max_length=MAX_QUERY_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "ex. 54200 ou Toul"}),
    )
    commune = CommuneField(required=False, widget=forms.HiddenInput)


class SearchForm(forms.Form):
    q = forms.CharField(label="Rechercher", max_length=MAX_QUERY_LENGTH, required=False)
