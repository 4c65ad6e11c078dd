"""Writes with side effects on alerts: subscribe, confirm, unsubscribe, send the digests.

E-mails of a request are sent once its transaction commits. Digests are sent by
`send_due_digests`, outside any transaction: each one's row (`Delivery`) is committed
before the message goes, and marked sent only once the SMTP server accepted it.
"""

from __future__ import annotations

import datetime
import enum
import logging
import secrets
import smtplib
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.core.mail import get_connection
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from actors.services import hash_address
from alerts import mail
from alerts.addresses import normalise_email, rate_key
from alerts.models import (
    Delivery,
    DeliveryStatus,
    Frequency,
    Subscription,
    SubscriptionAttempt,
    period_of,
)
from alerts.searches import InvalidSearch, SavedSearch, changes

logger = logging.getLogger(__name__)

# What may go wrong while talking to the mail server.
MAIL_ERRORS = (smtplib.SMTPException, OSError)

# How long a run's claim on a digest holds before another run may take it over: far longer
# than building and sending one message takes (each SMTP step times out after
# EMAIL_TIMEOUT, 30 s by default), so that only the claim of a run killed outright expires.
CLAIM_TIMEOUT = datetime.timedelta(minutes=15)


class RateLimited(Exception):
    """Too many subscription requests for one address, or from one network address."""


def _error_label(error: Exception) -> str:
    # The kind and code only: SMTP replies and refusals may quote the address.
    code = getattr(error, "smtp_code", None) or getattr(error, "errno", None)
    return f"{type(error).__name__} {code}" if code else type(error).__name__


def _send_now(build, subscription_pk: int) -> bool:
    """Send one e-mail of a request (after commit); a mail server failure is logged, not
    raised: the visitor may ask again."""
    subscription = Subscription.objects.filter(pk=subscription_pk).first()
    if subscription is None:
        return False
    try:
        build(subscription).send()
    except MAIL_ERRORS as error:
        logger.warning("Alert %s: e-mail not sent (%s).", subscription.pk, _error_label(error))
        return False
    return True


@transaction.atomic
def subscribe(*, email: str, search: SavedSearch, frequency: str, address: str) -> Subscription:
    """Record a subscription to `search`, unconfirmed, and send its confirmation link (or,
    when the address already follows that search, a reminder of how to manage it).

    Raises RateLimited past ALERTS_PER_EMAIL requests for the mailbox or ALERTS_PER_IP from
    the network address `address` in ALERTS_RATE_WINDOW, and UnsafeAddress for an address
    with no safe single spelling (the form says so first).
    """
    # One spelling per mailbox, before counting and storing: quoting, escapes and case
    # gave one mailbox as many rate limits, and alerts, as it has spellings.
    email = normalise_email(email)
    email_hash = hash_address(f"alert-email:{rate_key(email)}")
    address_hash = hash_address(address)
    recent = SubscriptionAttempt.objects.since(timezone.now() - settings.ALERTS_RATE_WINDOW)
    if (
        recent.filter(email_hash=email_hash).count() >= settings.ALERTS_PER_EMAIL
        or recent.filter(address_hash=address_hash).count() >= settings.ALERTS_PER_IP
    ):
        raise RateLimited
    SubscriptionAttempt.objects.create(email_hash=email_hash, address_hash=address_hash)
    subscription, _created = Subscription.objects.get_or_create(
        email=email,
        search_list=search.search_list,
        query=search.query,
        defaults={"summary": search.summary, "frequency": frequency},
    )
    if subscription.is_confirmed:
        transaction.on_commit(partial(_send_now, mail.already_subscribed_message, subscription.pk))
        return subscription
    if subscription.frequency != frequency:
        # Not confirmed yet: the last request says how often.
        subscription.frequency = frequency
        subscription.save(update_fields=["frequency"])
    transaction.on_commit(partial(_send_now, mail.confirmation_message, subscription.pk))
    return subscription


@transaction.atomic
def confirm(*, subscription: Subscription) -> Subscription:
    """Confirm the address (double opt-in); digests will report what changes from now on.
    Confirming twice changes nothing."""
    if not subscription.is_confirmed:
        now = timezone.now()
        subscription.confirmed_at = now
        subscription.sent_until = now
        subscription.save(update_fields=["confirmed_at", "sent_until"])
    return subscription


def _locked(subscriptions):
    # The subscriptions' rows locked (PostgreSQL) before they are deleted, as a queryset of
    # them. A run claiming a digest holds its alert's lock while it writes the delivery row:
    # a deletion that did not wait for it would miss that row, and fail on its foreign key
    # at commit. (QuerySet.delete() drops select_for_update, hence the separate query.)
    pks = list(subscriptions.select_for_update().values_list("pk", flat=True))
    return Subscription.objects.filter(pk__in=pks)


@transaction.atomic
def unsubscribe(*, subscription: Subscription) -> None:
    """Delete the subscription and its deliveries: nothing of it is kept. Deleting what is
    already gone (two clicks, a run of send_alerts) is no error."""
    _locked(Subscription.objects.filter(pk=subscription.pk)).delete()


@transaction.atomic
def unsubscribe_all(*, subscription: Subscription) -> int:
    """Delete every subscription of the subscription's address; the number deleted."""
    alerts = _locked(Subscription.objects.of_address(subscription.email))
    count = alerts.count()
    alerts.delete()
    return count


@transaction.atomic
def purge_expired(*, now: datetime.datetime) -> int:
    """Delete the subscriptions never confirmed within ALERTS_UNCONFIRMED_DAYS, and the
    rate-limit records older than a day; the number of subscriptions deleted."""
    expired = Subscription.objects.unconfirmed_before(
        now - datetime.timedelta(days=settings.ALERTS_UNCONFIRMED_DAYS)
    )
    count = expired.count()
    expired.delete()
    keep = max(settings.ALERTS_RATE_WINDOW, datetime.timedelta(days=1))
    SubscriptionAttempt.objects.exclude(created_at__gte=now - keep).delete()
    return count


@dataclass
class DigestReport:
    """What one run of send_due_digests did."""

    sent: int = 0
    empty: int = 0
    failed: int = 0
    invalid: int = 0
    # Digests another run was sending at the same time: left to it.
    busy: int = 0
    # Alerts deleted (unsubscribed) while the run went: skipped, or, deleted while their
    # message was on its way, sent and not recorded.
    gone: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.failed or self.invalid)


class Skip(enum.Enum):
    """Why a run leaves a due digest alone."""

    GONE = "gone"  # the alert was deleted (unsubscribed) or is no longer confirmed
    SETTLED = "settled"  # another run sent it, or found it empty, since this one listed it
    BUSY = "busy"  # another run holds it right now


def new_run_id() -> str:
    """A random id for one run of send_due_digests, written in the deliveries it claims."""
    return secrets.token_hex(8)


@transaction.atomic
def claim_delivery(
    *, subscription_pk: int, period: str, now: datetime.datetime, run: str
) -> Delivery | Skip:
    """The delivery of the subscription for `period`, created with its window if need be
    and claimed for `run`; or why this run must leave it alone.

    Two runs at once (a cron line and a manual run, two hosts) must not both send a digest.
    The claim is a conditional UPDATE whose row count tells who won: on PostgreSQL a second
    UPDATE of the same row waits for the first to commit and then re-reads the row, finding
    it claimed; SQLite lets one writer at a time. It works without flock, on both databases
    (SQLite has no row locks, so no select_for_update(skip_locked=True)); the claim is
    committed, so a message is never sent inside an open transaction, and a run killed
    outright leaves a claim that expires after CLAIM_TIMEOUT.
    """
    clock = timezone.now()
    stale_before = clock - CLAIM_TIMEOUT
    # The subscription's row lock (PostgreSQL) makes the runs take their turns on one alert,
    # and keeps an unsubscription from deleting it before the delivery row is written.
    subscription = (
        Subscription.objects.select_for_update().confirmed().filter(pk=subscription_pk).first()
    )
    if subscription is None:
        return Skip.GONE
    earlier = subscription.deliveries.pending().exclude(period=period)
    if earlier.claimed_since(stale_before).exists():
        # Another run is sending the digest of an earlier period (it started before
        # midnight, say): the cursor moves when it is done; this period's digest waits.
        return Skip.BUSY
    # A digest left pending in an earlier period is superseded: the cursor did not move,
    # so this period's window covers it.
    earlier.delete()
    delivery, _created = Delivery.objects.get_or_create(
        subscription=subscription,
        period=period,
        defaults={"window_start": subscription.sent_until, "window_end": now},
    )
    if delivery.status != DeliveryStatus.PENDING:
        return Skip.SETTLED
    claimed = (
        Delivery.objects.claimable(stale_before=stale_before)
        .filter(pk=delivery.pk)
        .update(claimed_by=run, claimed_at=clock)
    )
    if not claimed:
        return Skip.BUSY
    delivery.claimed_by, delivery.claimed_at = run, clock
    return delivery


def _claimed(delivery: Delivery, run: str):
    # The delivery, as long as this run still holds it.
    return Delivery.objects.pending().filter(pk=delivery.pk, claimed_by=run)


@transaction.atomic
def _settle(delivery: Delivery, *, run: str, status: str, item_count: int) -> bool:
    # Only while this run holds the claim; False when the row is gone (the alert was
    # deleted meanwhile): nothing is left to record.
    settled = _claimed(delivery, run).update(
        status=status,
        item_count=item_count,
        sent_at=timezone.now() if status == DeliveryStatus.SENT else None,
        claimed_by="",
        claimed_at=None,
    )
    if settled:
        Subscription.objects.filter(pk=delivery.subscription_id).update(
            sent_until=delivery.window_end
        )
    return bool(settled)


def _release(delivery: Delivery, *, run: str, error: str = "") -> None:
    # Back to pending and unclaimed, for the next run; a failure is counted.
    changes = {"claimed_by": "", "claimed_at": None}
    if error:
        changes |= {"attempts": F("attempts") + 1, "last_error": error}
    _claimed(delivery, run).update(**changes)


def _send_claimed(delivery: Delivery, *, run: str, connection, report: DigestReport) -> None:
    subscription = delivery.subscription
    try:
        sections = changes(
            search_list=subscription.search_list,
            query=subscription.query,
            start=delivery.window_start,
            end=delivery.window_end,
        )
    except InvalidSearch as error:
        report.invalid += 1
        report.errors.append(f"alerte {subscription.pk} : recherche invalide ({error})")
        _release(delivery, run=run, error="InvalidSearch")
        return
    if not sections:
        if _settle(delivery, run=run, status=DeliveryStatus.EMPTY, item_count=0):
            report.empty += 1
        else:
            report.gone += 1
        return
    message = mail.digest_message(subscription, delivery, sections)
    if not _claimed(delivery, run).exists():
        # Unsubscribed while the digest was being built (its delivery went with it): an
        # unsubscription is obeyed as soon as it is seen.
        report.gone += 1
        return
    try:
        accepted = connection.send_messages([message]) == 1
    except MAIL_ERRORS as error:
        accepted, label = False, _error_label(error)
    else:
        label = "" if accepted else "NotAccepted"
    if not accepted:
        connection.close()  # a broken connection is opened anew for the next message
        _release(delivery, run=run, error=label)
        report.failed += 1
        report.errors.append(f"alerte {subscription.pk} : échec de l'envoi ({label})")
        return
    report.sent += 1
    if not _settle(
        delivery, run=run, status=DeliveryStatus.SENT, item_count=sum(s.total for s in sections)
    ):
        # Unsubscribed while the message was on its way: sent, with nothing left to record
        # (this was the crash "Save with update_fields did not affect any rows").
        report.gone += 1


def _deliver(
    *,
    subscription_pk: int,
    period: str,
    now: datetime.datetime,
    run: str,
    connection,
    report: DigestReport,
) -> None:
    delivery = claim_delivery(subscription_pk=subscription_pk, period=period, now=now, run=run)
    if delivery is Skip.BUSY:
        report.busy += 1
    elif delivery is Skip.GONE:
        report.gone += 1  # listed as due, unsubscribed since
    if isinstance(delivery, Skip):
        return
    try:
        _send_claimed(delivery, run=run, connection=connection, report=report)
    except BaseException:
        # Interrupted (Ctrl-C, a bug): the claim is released so that the next run resumes
        # at once; should the database be unreachable too, the claim expires.
        with suppress(DatabaseError):
            _release(delivery, run=run)
        raise


def send_due_digests(
    *, frequency: str | None = None, now: datetime.datetime | None = None
) -> DigestReport:
    """Send every digest due at `now` (default: now), of one frequency or both.

    Idempotent and resumable: one Delivery per (subscription, period) records its window
    before sending, and is marked sent only when the SMTP server accepted the message; a
    failure leaves it pending, retried by the next run with the same window. Nothing is
    sent when nothing changed. Safe to run twice at once: each digest is claimed by one run
    (claim_delivery), the other leaves it alone.
    """
    now = now or timezone.now()
    run = new_run_id()
    report = DigestReport()
    # Each message opens and closes its own connection unless the backend keeps one open;
    # closing after a failure lets the next message reconnect.
    connection = get_connection()
    for each in [frequency] if frequency else Frequency.values:
        period = period_of(each, now)
        due = list(
            Subscription.objects.due(frequency=each, moment=now).values_list("pk", flat=True)
        )
        for pk in due:
            _deliver(
                subscription_pk=pk,
                period=period,
                now=now,
                run=run,
                connection=connection,
                report=report,
            )
    connection.close()
    return report
