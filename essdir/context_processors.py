from core.forms import SearchForm


def site_search(request) -> dict:
    """The header's search box, on every page."""
    return {"site_search_form": SearchForm(auto_id="header-%s")}
