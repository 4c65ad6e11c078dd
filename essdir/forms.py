from essdir.core.forms import SearchForm
from territories.filters import TerritoryField


class SiteSearchForm(SearchForm):
    """The search page: words, and optionally where."""

    territoire = TerritoryField(label="Territoire", required=False)
