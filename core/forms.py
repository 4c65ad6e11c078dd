from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.widgets import SearchInput


class SearchForm(forms.Form):
    """The one search box of the site (header, home page, /recherche/)."""

    q = forms.CharField(
        label=_("Rechercher dans l'annuaire"),
        max_length=settings.QUERY_MAX_LENGTH,
        required=False,
        widget=SearchInput(attrs={"placeholder": _("ex. économie circulaire")}),
    )
