"""The benchmark floor: a page of a list's size rendered with no database query."""

from django.views.generic import TemplateView

ITEMS = [
    {
        "name": f"Structure de l'économie sociale et solidaire n° {i}",
        "summary": "Association de l'ESS : insertion, réemploi et alimentation locale.",
        "place": "Toul (54)",
    }
    for i in range(1, 21)
]


class FloorView(TemplateView):
    template_name = "bench/floor.html"
    extra_context = {"items": ITEMS}
