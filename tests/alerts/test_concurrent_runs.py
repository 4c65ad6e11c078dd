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
import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from django.http import QueryDict
from django.utils import timezone

from alerts import services
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


def test_an_unsubscription_reaching_the_site_while_the_message_is_sent(smtp, alerts):
    """Attack: an unsubscription committed while the run waited for the SMTP server crashed
    the run ("Save with update_fields did not affect any rows"). Here the mail server
    itself unsubscribes the recipient, on its own connection, before it answers."""
    gone = ADDRESSES[1]

    def unsubscribe_on_arrival(message):
        if message["To"] == gone:
            try:
                services.unsubscribe(subscription=Subscription.objects.get(email=gone))
            finally:
                connections.close_all()  # the mail server's thread's connection

    smtp.on_data = unsubscribe_on_arrival

    out = send_alerts()

    assert out.startswith(f"Alertes : {len(ADDRESSES)} envoyée(s), 0 sans nouveauté, 0 en échec")
    assert ", 1 supprimée(s) pendant le passage ;" in out
    assert sorted(m["To"] for m in smtp.messages) == ADDRESSES
    assert not Subscription.objects.filter(email=gone).exists()
    assert Delivery.objects.filter(status="sent").count() == len(ADDRESSES) - 1


def test_an_unsubscription_while_a_run_claims_the_digest_waits_for_it(smtp, alerts, monkeypatch):
    """The run holds the alert's row lock while it writes its delivery: the unsubscription
    waits, then deletes the alert with that delivery (without the wait, it deleted the
    alert under the new delivery and failed at commit on the foreign key), and the run,
    finding its claim gone, sends nothing to that address."""
    first = Subscription.objects.order_by("pk").first()
    claiming, go_on = threading.Event(), threading.Event()
    get_or_create = Delivery.objects.get_or_create

    def get_or_create_slowly(*args, **kwargs):
        claiming.set()
        go_on.wait(timeout=10)
        return get_or_create(*args, **kwargs)

    monkeypatch.setattr(Delivery.objects, "get_or_create", get_or_create_slowly)

    def unsubscribe_meanwhile():
        claiming.wait(timeout=10)
        threading.Thread(target=when_a_query_waits_on_a_lock, args=(go_on.set,)).start()
        services.unsubscribe(subscription=first)
        return "unsubscribed"

    out, unsubscribed = at_once(send_alerts, unsubscribe_meanwhile)

    assert unsubscribed == "unsubscribed"
    assert isinstance(out, str), out
    assert ", 1 supprimée(s) pendant le passage ;" in out
    received = [m["To"] for m in smtp.messages]
    # The run sees the unsubscription before sending, unless the deletion (committed
    # right after the claim) is still on its way when the run checks: then the message
    # goes, once, and nothing is recorded.
    assert sorted(set(received) - {first.email}) == ADDRESSES[1:]
    assert len(received) - len(ADDRESSES[1:]) <= 1
    assert not Subscription.objects.filter(pk=first.pk).exists()
    assert not Delivery.objects.filter(subscription=first.pk).exists()


def when_a_query_waits_on_a_lock(callback, *, timeout: float = 10) -> None:
    """Call `callback` once another connection waits on a lock (or after `timeout`)."""
    deadline = time.monotonic() + timeout
    try:
        with connection.cursor() as cursor:
            while time.monotonic() < deadline:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
                if cursor.fetchone()[0]:
                    break
                time.sleep(0.02)
    finally:
        connections.close_all()
        callback()
