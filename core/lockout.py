"""Sign-in lock-out (django-axes), by account at an address, and by address.

A failure counts against the pair (username, address) — AXES_LOCKOUT_PARAMETERS — so that
nobody can lock a named member of staff out from elsewhere: five wrong passwords for her
account from another address lock that other address out of her account, not her. An
address is also locked out of every account after AXES_ADDRESS_FAILURE_LIMIT failures,
whatever the usernames, so that one machine cannot try a few passwords on each of many
accounts. The address is the visitor's (core.clients.client_address, AXES_CLIENT_IP_CALLABLE),
not the reverse proxy's.
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


class PairAndAddressHandler(AxesDatabaseHandler):
    """django-axes' database handler, plus the per-address limit."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        failures = super().get_failures(request, credentials)
        limit = get_failure_limit(request, credentials)
        if failures >= limit:
            return failures
        if self.address_failures(request) >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            return limit
        return failures

    def address_failures(self, request) -> int:
        """The failures from the request's address within the cool-off, for any username."""
        attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
