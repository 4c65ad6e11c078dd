"""Closing a response in a test as Django's test client closes the streamed ones it reads."""

from django.core.signals import request_finished
from django.db import close_old_connections


def close_quietly(response) -> None:
    """Close `response` (a streamed export, a national file) without closing the test's
    database connection: closing a response sends request_finished, whose
    close_old_connections closes, on PostgreSQL, a connection inside a transaction (the
    test's), and every query after it then fails. Django's test client disconnects it the
    same way around the responses whose content a test reads to the end."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
