"""What templates/support/_services.html shows: the support services serving a territory.

The territory pages put `support_services` in their context (essdir/views.py); the contact
finder, whose view lives on a lower floor, lets the partial call `support_serving(commune)`
(support/context_processors.py). One query either way.
"""

from __future__ import annotations

from support.models import SupportService

# The most services a page lists, nearest zone first.
MAX_SERVICES = 20


def serving(territory) -> list[SupportService]:
    """The services whose zone covers `territory`, nearest zone first ([] without one)."""
    if not territory:
        return []
    return list(SupportService.objects.serving(territory)[:MAX_SERVICES])
