"""The benchmark floors: a page of a list's size rendered with no database query.

`make bench` (bench/run) serves this view twice:

- with no middleware at all (bench.bare_settings, on its own gunicorn beside the site):
  the *bare floor*, `/bench/floor/?kb=N`, about N KiB of list items. Every page of the site
  is compared with the bare floor of the nearest size, so that the project's middleware
  counts as the project's cost;
- through the project's whole stack (bench.settings, every middleware):
  the *middleware floor*, `/bench/floor/`, 20 list items (about 10 KiB), which shows what
  the middleware costs.

`?kb=N` (1 to 500) sizes the whole response body, layout included: the number of items
for a size is worked out on its first request in each process, by rendering the template
with none and with a few items.
"""

from functools import cache

from django.template.loader import get_template
from django.views.generic import TemplateView

DEFAULT_ITEMS = 20
MAX_KB = 500
_CALIBRATION_ITEMS = 40


@cache
def make_items(count: int) -> list[dict]:
    return [
        {
            "name": f"Structure de l'économie sociale et solidaire n° {i}",
            "summary": "Association de l'ESS : insertion, réemploi et alimentation locale.",
            "place": "Toul (54)",
        }
        for i in range(1, count + 1)
    ]


# Items per size (KiB) in this process.
_items_per_kb: dict[int, int] = {}


class FloorView(TemplateView):
    template_name = "bench/floor.html"

    def get(self, request, *args, **kwargs):
        self.item_count = self._item_count(self._kb())
        response = super().get(request, *args, **kwargs).render()
        # As CommonMiddleware does on the site: without it, gunicorn would answer chunked.
        response["Content-Length"] = str(len(response.content))
        return response

    def get_context_data(self, **kwargs):
        return super().get_context_data(items=make_items(self.item_count), **kwargs)

    def _kb(self) -> int | None:
        try:
            kb = int(self.request.GET.get("kb", ""))
        except ValueError:
            return None
        return kb if 1 <= kb <= MAX_KB else None

    def _item_count(self, kb: int | None) -> int:
        if kb is None:
            return DEFAULT_ITEMS
        if kb not in _items_per_kb:
            empty = self._size(0)
            per_item = (self._size(_CALIBRATION_ITEMS) - empty) / _CALIBRATION_ITEMS
            _items_per_kb[kb] = max(0, round((kb * 1024 - empty) / per_item))
        return _items_per_kb[kb]

    def _size(self, count: int) -> int:
        context = {"items": make_items(count), "view": self}
        return len(get_template(self.template_name).render(context, self.request).encode())
