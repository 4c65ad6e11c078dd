from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from territories.filters import TerritoryField
from territories.models import TerritoryKind


class CommuneField(TerritoryField):
    def clean(self, value):
        territory = super().clean(value)
        if territory is not None and territory.kind != TerritoryKind.COMMUNE:
            raise ValidationError(_("Choisissez une commune."), code="not_a_commune")
        return territory


class ContactFinderForm(forms.Form):
    q = forms.CharField(
        label=_("Code postal, commune ou code INSEE"),
        max_length=settings.QUERY_MAX_LENGTH,
        required=False,
        help_text=_("Par exemple 54200 ou Toul."),
        widget=forms.TextInput(attrs={"placeholder": _("ex. 54200 ou Toul")}),
    )
    commune = CommuneField(required=False, widget=forms.HiddenInput)


class TerritorySearchForm(forms.Form):
    q = forms.CharField(
        label=_("Commune, code postal, intercommunalité, département…"),
        max_length=settings.QUERY_MAX_LENGTH,
        required=False,
    )
