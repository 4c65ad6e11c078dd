"""Writes with side effects on alerts: subscribe, confirm, unsubscribe, send the digests.

E-mails of a request are sent once its transaction commits. Digests are sent by
`send_due_digests`, outside any transaction: each one's row (`Delivery`) is committed
before the message goes, and marked sent only once the SMTP server accepted it.

A digest reports the changes of a window [the alert's cursor, the committed horizon): the
horizon (`committed_horizon`) is a moment before which every change is committed and
complete (a structure imported with its places), so that the cursor never moves past a
change the run could not see yet. See `committed_horizon` for what holds it back.
"""

from __future__ import annotations

import datetime
import enum
import logging
import secrets
import smtplib
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.core.mail import get_connection
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Max
from django.utils import timezone

from actors.models import ImportRun
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

# The longest a change's stamp may precede its statement's arrival at the database: Django
# takes `updated_at` (auto_now) in Python just before it sends the statement, and in
# autocommit that statement starts its transaction. The horizon keeps this far before the
# start of the transactions it sees open, and is computed no sooner than this long after
# the run's `now` (on PostgreSQL: see committed_horizon).
IN_FLIGHT = datetime.timedelta(milliseconds=500)
# The name the runs of send_alerts give their database session (PostgreSQL's
# application_name) while they run: their own transactions write alerts only, so another
# run's horizon need not wait for them.
RUN_SESSION_NAME = "essdir send_alerts"
# A horizon held back longer than this is worth a line in the command's output.
HELD_BACK_NOTICE = datetime.timedelta(minutes=10)


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
def subscribe(
    *,
    email: str,
    search: SavedSearch,
    frequency: str,
    address: str,
    language: str | None = None,
) -> Subscription:
    """Record a subscription to `search`, unconfirmed, and send its confirmation link (or,
    when the address already follows that search, a reminder of how to manage it), in
    `language`, the language of the page it was asked from (French by default), as its
    digests will be.

    Raises RateLimited past ALERTS_PER_EMAIL requests for the mailbox or ALERTS_PER_IP from
    the network address `address` in ALERTS_RATE_WINDOW, and UnsafeAddress for an address
    with no safe single spelling (the form says so first).
    """
    # One spelling per mailbox, before counting and storing: quoting, escapes and case
    # gave one mailbox as many rate limits, and alerts, as it has spellings.
    email = normalise_email(email)
    language = language or settings.LANGUAGE_CODE
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
        defaults={"summary": search.summary, "frequency": frequency, "language": language},
    )
    if subscription.is_confirmed:
        # In the alert's own language, which a request from the other one does not change.
        transaction.on_commit(partial(_send_now, mail.already_subscribed_message, subscription.pk))
        return subscription
    # Not confirmed yet: the last request says how often, and in which language.
    wanted = {"frequency": frequency, "language": language}
    if changed := [name for name, value in wanted.items() if getattr(subscription, name) != value]:
        for name in changed:
            setattr(subscription, name, wanted[name])
        subscription.save(update_fields=changed)
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


@dataclass(frozen=True)
class Horizon:
    """The end of the windows of a run: every change stamped before `moment` is committed
    and complete. `held_by` says what held it back before `now` ("" when nothing did):
    "import" (a SIRENE import started at `moment` and not finished with its places) or
    "transaction" (a transaction of another session open since about `moment`)."""

    moment: datetime.datetime
    held_by: str = ""


def _unfinished_import_start() -> datetime.datetime | None:
    """When the oldest SIRENE import still holding back the digests started, if any.

    The import stamps every row it writes with its own start (`SireneWriter.now`, taken
    after its ImportRun row was created: never before `ImportRun.started_at`) and writes
    them in many transactions, the first ones minutes before the places (ActorPlace, what
    territory searches read) are built at the end. An import holds the horizon at its start
    until its places are built: by itself (its "places" step recorded), or, if it was
    killed or stopped before, by a later run (import or refresh_panoramas: one run at a
    time, so that a later run started once the earlier one was dead, all its rows
    committed, and rebuilt every actor's places before it recorded "places" or completed).
    """
    unfinished = list(
        ImportRun.objects.filter(completed_at=None).values_list(
            "pk", "kind", "started_at", "steps", "repaired_by"
        )
    )
    waiting = [
        (pk, started)
        for pk, kind, started, steps, repaired_by in unfinished
        if kind == ImportRun.Kind.IMPORT and repaired_by is None and "places" not in steps
    ]
    if not waiting:
        return None
    # The last run that rebuilt every actor's places: a completed one (a run completes
    # after its places, or wrote nothing and found nothing unfinished), or one that
    # recorded its "places" step before it stopped.
    last_completed = ImportRun.objects.exclude(completed_at=None).aggregate(last=Max("pk"))
    covered = max(
        last_completed["last"] or 0,
        max((pk for pk, _kind, _started, steps, _by in unfinished if "places" in steps), default=0),
    )
    starts = [started for pk, started in waiting if pk > covered]
    return min(starts) if starts else None


def _wait_for_changes_in_flight(now: datetime.datetime) -> None:
    # A change stamped before `now` has reached the database IN_FLIGHT later.
    remaining = (now + IN_FLIGHT - timezone.now()).total_seconds()
    if remaining > 0:
        time.sleep(min(remaining, IN_FLIGHT.total_seconds()))


def _oldest_open_transaction() -> datetime.datetime | None:
    """When the oldest transaction open in another session of this database began (on this
    process's clock), if any (PostgreSQL)."""
    before = timezone.now()
    with connection.cursor() as cursor:
        # pg_stat_activity is read once per transaction otherwise.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        # Its age by the server's clock, subtracted from this process's: the clocks of the
        # two machines need not agree (`before` precedes the server's reading: it errs
        # early). Every open transaction counts, not only those that wrote already: one
        # that read first may be about to write a stamp taken since it began.
        cursor.execute(
            "SELECT clock_timestamp() - min(xact_start) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend' AND xact_start IS NOT NULL "
            "AND application_name IS DISTINCT FROM %s",
            [RUN_SESSION_NAME],
        )
        age = cursor.fetchone()[0]
    return None if age is None else before - age


def committed_horizon(now: datetime.datetime) -> Horizon:
    """The moment before which every change is committed and complete, at most `now`: the
    end of the digests' windows, and where the alerts' cursors stop.

    A digest reports the changes stamped within [cursor, horizon); the next one starts at
    that horizon. Stamps (`updated_at`) are taken by the application, and a change becomes
    visible when its transaction commits, possibly long after: a window ending at `now`
    would close over changes not yet committed (and the cursor would move past them for
    good). What holds the horizon back:

    - a SIRENE import not finished with its places: its start (`_unfinished_import_start`),
      on every database;
    - on PostgreSQL, the transactions open in the other sessions of this database (not the
      runs of send_alerts, see RUN_SESSION_NAME): the start of the oldest, less IN_FLIGHT;
      a change written by a transaction still open was stamped after it began. A session
      of another database role shows its transactions only to a superuser or a member of
      pg_read_all_stats: run send_alerts as the role that writes the directory, or grant it.
      Computed IN_FLIGHT after `now` at the soonest, so that a change stamped before `now`
      has reached the database.

    SQLite has one writer at a time and its readers see committed data only: the imports
    alone hold its horizon back.
    """
    horizon = Horizon(now)
    started = _unfinished_import_start()
    if started is not None and started < horizon.moment:
        horizon = Horizon(started, "import")
    if connection.vendor == "postgresql":
        _wait_for_changes_in_flight(now)
        oldest = _oldest_open_transaction()
        if oldest is not None and oldest - IN_FLIGHT < horizon.moment:
            horizon = Horizon(oldest - IN_FLIGHT, "transaction")
    return horizon


@contextmanager
def _run_session():
    """Name this run's database session (RUN_SESSION_NAME) while it runs (PostgreSQL)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('application_name')")
        previous = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('application_name', %s, false)", [RUN_SESSION_NAME])
    try:
        yield
    finally:
        with suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('application_name', %s, false)", [previous])


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
    # Where the windows of this run's new digests end, and the `now` of the run.
    horizon: Horizon | None = None
    now: datetime.datetime | None = None

    @property
    def ok(self) -> bool:
        return not (self.failed or self.invalid)

    @property
    def held_back(self) -> bool:
        """Whether the horizon stayed far behind the run's time (an import going on, a
        transaction left open): what changed since waits for a later run."""
        return (
            self.horizon is not None
            and self.now is not None
            and self.now - self.horizon.moment > HELD_BACK_NOTICE
        )


class Skip(enum.Enum):
    """Why a run leaves a due digest alone."""

    GONE = "gone"  # the alert was deleted (unsubscribed) or is no longer confirmed
    SETTLED = "settled"  # another run sent it, or found it empty, since this one listed it
    BUSY = "busy"  # another run holds it right now


def new_run_id() -> str:
    """A random id for one run of send_due_digests, written in the deliveries it claims."""
    return secrets.token_hex(8)


def claim_delivery(
    *,
    subscription_pk: int,
    period: str,
    now: datetime.datetime,
    run: str,
    horizon: datetime.datetime | None = None,
) -> Delivery | Skip:
    """The delivery of the subscription for `period`, created with its window if need be
    and claimed for `run`; or why this run must leave it alone.

    A new delivery's window runs from the alert's cursor to `horizon` (default: the
    committed horizon at `now`), never backwards: the cursor only moves forward.

    Two runs at once (a cron line and a manual run, two hosts) must not both send a digest.
    The claim is a conditional UPDATE whose row count tells who won: on PostgreSQL a second
    UPDATE of the same row waits for the first to commit and then re-reads the row, finding
    it claimed; SQLite lets one writer at a time. It works without flock, on both databases
    (SQLite has no row locks, so no select_for_update(skip_locked=True)); the claim is
    committed, so a message is never sent inside an open transaction, and a run killed
    outright leaves a claim that expires after CLAIM_TIMEOUT.
    """
    if horizon is None:
        horizon = committed_horizon(now).moment
    return _claim(subscription_pk=subscription_pk, period=period, horizon=horizon, run=run)


@transaction.atomic
def _claim(
    *, subscription_pk: int, period: str, horizon: datetime.datetime, run: str
) -> Delivery | Skip:
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
        defaults={
            "window_start": subscription.sent_until,
            "window_end": max(horizon, subscription.sent_until),
        },
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
    horizon: datetime.datetime,
    run: str,
    connection,
    report: DigestReport,
) -> None:
    delivery = claim_delivery(
        subscription_pk=subscription_pk, period=period, now=now, horizon=horizon, run=run
    )
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

    New digests report what changed up to the committed horizon (committed_horizon), at
    most `now`, and the cursors stop there: what was not committed yet, or an import not
    finished, goes into a later digest, once.
    """
    now = now or timezone.now()
    run = new_run_id()
    report = DigestReport(now=now)
    with _run_session():
        horizon = committed_horizon(now)
        report.horizon = horizon
        # Each message opens and closes its own connection unless the backend keeps one
        # open; closing after a failure lets the next message reconnect.
        mail_connection = get_connection()
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
                    horizon=horizon.moment,
                    run=run,
                    connection=mail_connection,
                    report=report,
                )
        mail_connection.close()
    return report
