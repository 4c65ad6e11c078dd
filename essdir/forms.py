from django.utils.translation import gettext_lazy as _

from core.forms import SearchForm
from territories.filters import TerritoryField


class SiteSearchForm(SearchForm):
    """The search page: words, and optionally where."""

    territoire = TerritoryField(label=_("Territoire"), required=False)
