"""`support_serving(territory)` for the site's templates: the contact finder's partial
"Qui peut vous accompagner" calls it (support/partials.py); nothing runs unless called."""

from __future__ import annotations

from support.partials import serving


def support(request) -> dict:
    return {"support_serving": serving}
