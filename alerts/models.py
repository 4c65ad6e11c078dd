"""E-mail alerts: a visitor's saved search, and the digests sent for it.

Personal data is kept to the minimum: the address and the saved search, nothing else (no
name, no network address: rate limits keep keyed hashes only, for a day). Unsubscribing
deletes the subscription and its deliveries.
"""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AlertList(models.TextChoices):
    """What one can subscribe to: a list with its filters, or a territory page."""

    ACTORS = "acteurs", _("Acteurs de l'ESS")
    SCHEMES = "dispositifs", _("Dispositifs")
    EVENTS = "evenements", _("Événements")
    TERRITORY = "territoire", _("Page d'un territoire")


class Frequency(models.TextChoices):
    DAILY = "daily", _("Chaque jour")
    WEEKLY = "weekly", _("Chaque semaine")


def new_token() -> str:
    """An unguessable token (256 bits) for the links of the e-mails."""
    return secrets.token_urlsafe(32)


def period_of(frequency: str, moment: datetime.datetime) -> str:
    """The digest period `moment` falls in: its local day, or its ISO week."""
    day = timezone.localdate(moment)
    if frequency == Frequency.DAILY:
        return day.isoformat()
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


class SubscriptionQuerySet(models.QuerySet):
    def confirmed(self):
        """Subscriptions whose address was confirmed (double opt-in): the only ones sent to."""
        return self.filter(confirmed_at__isnull=False)

    def due(self, *, frequency: str, moment: datetime.datetime):
        """Confirmed subscriptions of `frequency` with no digest settled for the period of
        `moment` (a digest pending after a failure is still due)."""
        settled = Delivery.objects.settled().filter(period=period_of(frequency, moment))
        return (
            self.confirmed()
            .filter(frequency=frequency)
            .exclude(pk__in=settled.values("subscription"))
            .order_by("pk")
        )

    def unconfirmed_before(self, moment: datetime.datetime):
        """Subscriptions still waiting for their confirmation, created before `moment`."""
        return self.filter(confirmed_at__isnull=True, created_at__lt=moment)

    def of_address(self, email: str):
        """Every subscription of one address, oldest first."""
        return self.filter(email=email).order_by("created_at", "pk")


class Subscription(models.Model):
    """A saved search an address receives digests for, once confirmed."""

    email = models.EmailField(_("adresse e-mail"), max_length=254)
    search_list = models.CharField(_("liste"), max_length=12, choices=AlertList.choices)
    query = models.CharField(
        _("filtres"),
        max_length=1000,
        blank=True,
        help_text=_("La chaîne de requête normalisée de la liste (sans tri ni page)."),
    )
    summary = models.CharField(_("critères"), max_length=1000, blank=True)
    frequency = models.CharField(
        _("fréquence"), max_length=6, choices=Frequency.choices, default=Frequency.WEEKLY
    )
    # One random token for every link of this subscription's e-mails (confirm, manage,
    # unsubscribe): a signed token would carry the address into URLs and server logs.
    token = models.CharField(max_length=64, unique=True, editable=False, default=new_token)
    # The language of the page the alert was asked from: its e-mails, and the links in them,
    # are in that language (alerts created before it was recorded were asked in French).
    language = models.CharField(
        _("langue"),
        max_length=2,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
    )
    created_at = models.DateTimeField(_("créée le"), default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(_("confirmée le"), null=True, blank=True)
    sent_until = models.DateTimeField(
        _("envoyée jusqu'au"),
        null=True,
        blank=True,
        help_text=_("Ce qui a changé jusqu'à ce moment a déjà été envoyé."),
    )

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("alerte")
        verbose_name_plural = _("alertes")
        constraints = [
            models.UniqueConstraint(
                fields=["email", "search_list", "query"],
                name="alert_one_per_search",
                violation_error_message=_("Cette adresse a déjà une alerte pour cette recherche."),
            ),
            models.CheckConstraint(
                condition=Q(frequency__in=Frequency.values),
                name="alert_valid_frequency",
                violation_error_message=_(
                    "Fréquence inconnue : choisissez chaque jour ou chaque semaine."
                ),
            ),
            models.CheckConstraint(
                condition=Q(language__in=[code for code, _name in settings.LANGUAGES]),
                name="alert_valid_language",
                violation_error_message=_("Langue inconnue."),
            ),
            models.CheckConstraint(
                condition=Q(search_list__in=AlertList.values),
                name="alert_valid_list",
                violation_error_message=_("Liste inconnue."),
            ),
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True) | Q(sent_until__isnull=False),
                name="alert_confirmed_has_cursor",
                violation_error_message=_("Une alerte confirmée sait ce qui a déjà été envoyé."),
            ),
        ]

    def __str__(self) -> str:
        # Never the address: this may end up in logs.
        return f"{self.get_search_list_display()} ({self.pk})"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    def get_confirm_path(self) -> str:
        return reverse("alerts:confirm", kwargs={"token": self.token})

    def get_manage_path(self) -> str:
        return reverse("alerts:manage", kwargs={"token": self.token})

    def get_unsubscribe_path(self) -> str:
        return reverse("alerts:unsubscribe", kwargs={"token": self.token})


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("À envoyer")
    SENT = "sent", _("Envoyé")
    EMPTY = "empty", _("Rien de nouveau (aucun envoi)")


class DeliveryQuerySet(models.QuerySet):
    def settled(self):
        """Digests sent, or found empty: nothing more to do for their period."""
        return self.exclude(status=DeliveryStatus.PENDING)

    def pending(self):
        """Digests not (yet) accepted by the mail server."""
        return self.filter(status=DeliveryStatus.PENDING)

    def claimed_since(self, moment: datetime.datetime):
        """Digests a run claimed after `moment`: that run may be sending them right now."""
        return self.filter(claimed_at__gte=moment)

    def claimable(self, *, stale_before: datetime.datetime):
        """Pending digests no run holds: never claimed, released, or claimed before
        `stale_before` by a run that must have died (it would have released them)."""
        return self.pending().filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale_before))


class Delivery(models.Model):
    """One digest of one subscription for one period: what makes sending idempotent.

    The row and its window are written before the message is sent; it is marked sent only
    once the SMTP server accepted the message. A re-run finds it settled, or still pending
    with the same window, and retries it.

    The window is half-open, [window_start, window_end): it starts at the alert's cursor
    and ends at the committed horizon of the run that created it (at most the run's time:
    see services.committed_horizon), where the cursor then stops. What was not committed
    yet, or an import not finished, falls in the next window, once.

    A run claims the row (`claimed_by`, `claimed_at`) before building and sending its
    message, and releases it when done: two runs at once never send the same digest. A run
    killed outright leaves its claim, which expires (see services.CLAIM_TIMEOUT).
    """

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    period = models.CharField(_("période"), max_length=10)
    window_start = models.DateTimeField(_("changements depuis"))
    window_end = models.DateTimeField(_("changements jusqu'au"))
    status = models.CharField(
        _("état"), max_length=7, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    item_count = models.PositiveIntegerField(_("fiches signalées"), default=0)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    # The kind of error only (an SMTP reply may quote the address).
    last_error = models.CharField(_("dernière erreur"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(_("accepté par le serveur le"), null=True, blank=True)
    # The run sending this digest right now (a random id per run), and since when.
    claimed_by = models.CharField(_("pris par le passage"), max_length=32, blank=True)
    claimed_at = models.DateTimeField(_("pris le"), null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("envoi")
        verbose_name_plural = _("envois")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "period"],
                name="delivery_one_per_period",
                violation_error_message=_("Un seul envoi par alerte et par période."),
            ),
            models.CheckConstraint(
                condition=Q(window_end__gte=models.F("window_start")),
                name="delivery_window_in_order",
                violation_error_message=_("La fin de la période précède son début."),
            ),
            models.CheckConstraint(
                condition=Q(status=DeliveryStatus.SENT, sent_at__isnull=False)
                | (~Q(status=DeliveryStatus.SENT) & Q(sent_at__isnull=True)),
                name="delivery_sent_has_date",
                violation_error_message=_("Un envoi est daté si et seulement s'il est envoyé."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values),
                name="delivery_valid_status",
                violation_error_message=_("État d'envoi inconnu."),
            ),
            models.CheckConstraint(
                condition=Q(claimed_by="", claimed_at__isnull=True)
                | (~Q(claimed_by="") & Q(claimed_at__isnull=False)),
                name="delivery_claim_has_run_and_date",
                violation_error_message=_("Un envoi pris l'est par un passage, à une date."),
            ),
            models.CheckConstraint(
                condition=Q(status=DeliveryStatus.PENDING) | Q(claimed_at__isnull=True),
                name="delivery_settled_is_released",
                violation_error_message=_("Un envoi terminé n'est plus pris par un passage."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.period} {self.status}"


class SubscriptionAttemptQuerySet(models.QuerySet):
    def since(self, moment: datetime.datetime):
        """Attempts made after `moment`."""
        return self.filter(created_at__gte=moment)


class SubscriptionAttempt(models.Model):
    """A request to subscribe, kept for the rate limits: keyed hashes only, for a day."""

    email_hash = models.CharField(max_length=64, db_index=True, editable=False)
    address_hash = models.CharField(max_length=64, db_index=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)

    objects = SubscriptionAttemptQuerySet.as_manager()

    class Meta:
        verbose_name = _("demande d'alerte")
        verbose_name_plural = _("demandes d'alerte")

    def __str__(self) -> str:
        return f"{self.pk} {self.created_at:%Y-%m-%d %H:%M}"
