import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from alerts.models import Delivery, Subscription, period_of

pytestmark = pytest.mark.django_db

PARIS = datetime.timezone(datetime.timedelta(hours=1))


def test_one_alert_per_address_and_search():
    Subscription.objects.create(email="camille@example.org", search_list="acteurs", query="q=vélo")
    duplicate = Subscription(email="camille@example.org", search_list="acteurs", query="q=vélo")

    with pytest.raises(ValidationError) as error:
        duplicate.validate_constraints()

    assert error.value.messages == ["Cette adresse a déjà une alerte pour cette recherche."]
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"frequency": "yearly"},  # within the column: the check constraint answers
            "Fréquence inconnue : choisissez chaque jour ou chaque semaine.",
        ),
        ({"search_list": "membres"}, "Liste inconnue."),
        ({"confirmed_at": timezone.now()}, "Une alerte confirmée sait ce qui a déjà été envoyé."),
    ],
)
def test_subscription_constraints_say_what_is_wrong(fields, message):
    alert = Subscription(**{"email": "camille@example.org", "search_list": "acteurs", **fields})

    with pytest.raises(ValidationError) as error:
        alert.validate_constraints()

    assert error.value.messages == [message]
    with pytest.raises(IntegrityError), transaction.atomic():
        alert.save()


def test_one_delivery_per_alert_and_period():
    now = timezone.now()
    alert = Subscription.objects.create(
        email="camille@example.org", search_list="acteurs", confirmed_at=now, sent_until=now
    )
    Delivery.objects.create(subscription=alert, period="2026-W48", window_start=now, window_end=now)

    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(
            subscription=alert, period="2026-W48", window_start=now, window_end=now
        )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status": "sent"}, "Un envoi est daté si et seulement s'il est envoyé."),
        ({"sent_at": timezone.now()}, "Un envoi est daté si et seulement s'il est envoyé."),
        (
            {"window_end": timezone.now() - datetime.timedelta(days=1)},
            "La fin de la période précède son début.",
        ),
    ],
)
def test_delivery_constraints_say_what_is_wrong(fields, message):
    now = timezone.now()
    alert = Subscription.objects.create(
        email="camille@example.org", search_list="acteurs", confirmed_at=now, sent_until=now
    )
    delivery = Delivery(
        subscription=alert,
        period="2026-11-29",
        **{"window_start": now, "window_end": now, **fields},
    )

    with pytest.raises(ValidationError) as error:
        delivery.validate_constraints()

    assert error.value.messages == [message]


@pytest.mark.parametrize(
    ("moment", "daily", "weekly"),
    [
        (datetime.datetime(2026, 11, 29, 22, 59, tzinfo=datetime.UTC), "2026-11-29", "2026-W48"),
        # Monday already in Paris: a new day and a new ISO week.
        (datetime.datetime(2026, 11, 29, 23, 30, tzinfo=datetime.UTC), "2026-11-30", "2026-W49"),
        (datetime.datetime(2027, 1, 1, 12, 0, tzinfo=PARIS), "2027-01-01", "2026-W53"),
    ],
)
def test_periods_are_local_days_and_iso_weeks(moment, daily, weekly):
    assert (period_of("daily", moment), period_of("weekly", moment)) == (daily, weekly)


def test_an_alert_never_shows_its_address():
    alert = Subscription.objects.create(email="camille@example.org", search_list="acteurs")

    assert str(alert) == f"Acteurs de l'ESS ({alert.pk})"
