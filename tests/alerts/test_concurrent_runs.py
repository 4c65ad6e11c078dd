"""Runs of send_alerts at the same time as another run, each on its own database
connection, as two processes would be.

PostgreSQL only: the test database of SQLite lives in memory, where two threads writing at
once fail on its table locks. The same interleavings are checked deterministically, on
both databases, in test_digests.py.
"""

import datetime
import io
import re
import threading

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.http import QueryDict
from django.utils import timezone

from alerts.models import Delivery, Subscription
from alerts.searches import saved_search
from tests.factories import ActorFactory, ThemeFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.DATABASE_IS_POSTGRES, reason="two writers at once need PostgreSQL"
    ),
]

ADDRESSES = [f"personne{n}@example.org" for n in range(4)]


@pytest.fixture
def alerts():
    """Confirmed daily alerts on one theme, each with something new to send."""
    theme = ThemeFactory(name="Réemploi", slug="reemploi")
    since = timezone.now() - datetime.timedelta(days=2)
    search = saved_search(search_list="acteurs", params=QueryDict("theme=reemploi"))
    for address in ADDRESSES:
        Subscription.objects.create(
            email=address,
            search_list="acteurs",
            query=search.query,
            summary=search.summary,
            frequency="daily",
            confirmed_at=since,
            sent_until=since,
        )
    # No territory: this test's database has no geography (transactional tests flush it).
    ActorFactory(name="Structure nouvelle", territory=None).themes.add(theme)


def at_once(*jobs):
    """Run the jobs in threads started together; what each returned, or raised."""
    start = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def work(index, job):
        try:
            start.wait()
            results[index] = job()
        except Exception as error:  # reported by the test
            results[index] = error
        finally:
            connections.close_all()  # this thread's connection

    threads = [threading.Thread(target=work, args=(n, job)) for n, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def send_alerts() -> str:
    out = io.StringIO()
    call_command("send_alerts", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_two_runs_at_once_send_each_digest_once(smtp, alerts):
    # A slow server keeps each run on its message while the other one moves on.
    smtp.data_delay = 0.2

    outputs = at_once(send_alerts, send_alerts)

    assert all(isinstance(out, str) for out in outputs), outputs
    assert sorted(m["To"] for m in smtp.messages) == ADDRESSES
    sent = [int(re.match(r"Alertes : (\d+) envoyée", out).group(1)) for out in outputs]
    assert sum(sent) == len(ADDRESSES), outputs
    assert sorted(Delivery.objects.values_list("status", flat=True)) == ["sent"] * len(ADDRESSES)
    assert not Delivery.objects.exclude(claimed_at=None).exists()
