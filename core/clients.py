"""Who is asking: the visitor's network address, which every limit per address counts by
(the API's rate, the sign-in lock-out, the alerts' subscriptions…)."""

import ipaddress

from django.conf import settings


def client_address(request) -> str:
    """The visitor's network address, in one spelling (2001:DB8:0::1 is 2001:db8::1).

    Behind the reverse proxy (BEHIND_PROXY): the address the proxy appended last to
    X-Forwarded-For. The earlier entries come from the client and may lie (rotating a
    forged first entry must not buy a new allowance), and REMOTE_ADDR is the proxy itself,
    which would put every visitor under one limit. When that last entry is no address, the
    peer (REMOTE_ADDR) is counted.

    Otherwise REMOTE_ADDR, the peer of the connection: X-Forwarded-For is ignored, since
    anyone may send it when no proxy of ours writes it.
    """
    peer = request.META.get("REMOTE_ADDR", "")
    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        return _normalised(forwarded) or _normalised(peer) or peer
    return _normalised(peer) or peer


def _normalised(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None
