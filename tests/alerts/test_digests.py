import datetime
import io
import re

import pytest
from django.core.mail.backends.smtp import EmailBackend
from django.core.management import CommandError, call_command
from django.http import QueryDict
from django.utils import timezone
from django.utils.formats import date_format

from alerts import services
from alerts.models import Delivery, DeliveryStatus, Subscription, SubscriptionAttempt, period_of
from alerts.searches import saved_search
from alerts.services import send_due_digests
from territories.models import PublicationStatus
from tests.alerts.conftest import html_of, text_of
from tests.factories import ActorFactory, EventFactory, SchemeFactory, ThemeFactory, territory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)


def subscription(
    *,
    email="camille@example.org",
    search_list="acteurs",
    query="theme=reemploi",
    frequency="daily",
    since=None,
):
    """A subscription as the form stores it; confirmed at `since` unless None."""
    ThemeFactory(name="Réemploi", slug="reemploi")
    search = saved_search(search_list=search_list, params=QueryDict(query))
    return Subscription.objects.create(
        email=email,
        search_list=search_list,
        query=search.query,
        summary=search.summary,
        frequency=frequency,
        confirmed_at=since,
        sent_until=since,
    )


def stamp(record, *, created, updated):
    """Give a record the creation and change times of the scenario (update() keeps them)."""
    type(record).objects.filter(pk=record.pk).update(created_at=created, updated_at=updated)
    return record


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("send_alerts", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def header(message, name: str) -> str:
    """A header as mail clients show it (unfolded)."""
    return " ".join(str(message[name]).split())


def items(message) -> list[str]:
    return [line for line in text_of(message).splitlines() if line.startswith("- [")]


def reemploi(actor):
    actor.themes.add(ThemeFactory(name="Réemploi", slug="reemploi"))
    return actor


@pytest.fixture
def scenario():
    """On one theme, since the last digest: one structure created, one changed; around
    them, what the digest must leave out."""
    now = timezone.now()
    changed = stamp(
        reemploi(ActorFactory(name="Structure modifiée")), created=now - 30 * DAY, updated=now - DAY
    )
    created = stamp(
        reemploi(ActorFactory(name="Structure nouvelle")), created=now - HOUR, updated=now - HOUR
    )
    stamp(
        ActorFactory(name="Structure sans ce thème", territory=territory("commune-54395")),
        created=now - HOUR,
        updated=now - HOUR,
    )
    stamp(
        reemploi(ActorFactory(name="Structure ancienne")),
        created=now - 9 * DAY,
        updated=now - 3 * DAY,
    )
    stamp(
        reemploi(ActorFactory(name="Structure brouillon", status=PublicationStatus.DRAFT)),
        created=now - HOUR,
        updated=now - HOUR,
    )
    return {"now": now, "since": now - 2 * DAY, "changed": changed, "created": created}


def test_digest_lists_exactly_what_is_new_or_changed(smtp, scenario):
    alert = subscription(since=scenario["since"])

    out, err = run("--frequency", "daily")

    assert out == (
        "Alertes : 1 envoyée(s), 0 sans nouveauté, 0 en échec, 0 recherche(s) invalide(s) ; "
        "0 alerte(s) non confirmée(s) effacée(s).\n"
    )
    assert err == ""
    [message] = smtp.messages
    assert message["To"] == "camille@example.org"
    assert header(message, "Subject") == "essdir : 2 nouveauté(s) — Acteurs de l'ESS"
    assert items(message) == [
        "- [Nouveau] Structure nouvelle — Toul",
        "- [Modifié] Structure modifiée — Toul",
    ]
    text = text_of(message)
    assert "  https://testserver/acteurs/structure-nouvelle/" in text.splitlines()
    assert "Voir la liste : https://testserver/acteurs/?theme=reemploi" in text
    assert "Les nouveautés de votre alerte « Acteurs de l'ESS » — Thème : Réemploi" in text
    page = html_of(message)
    assert (
        '<a href="https://testserver/acteurs/structure-modifiee/">Structure modifiée — Toul</a>'
        in page
    )
    assert '<a href="https://testserver/acteurs/?theme=reemploi">Voir la liste</a>' in page
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.item_count, delivery.attempts) == ("sent", 2, 0)
    assert delivery.period == period_of("daily", delivery.window_end)
    assert delivery.window_start == scenario["since"]
    assert delivery.sent_at >= delivery.window_end
    alert.refresh_from_db()
    assert alert.sent_until == delivery.window_end


def test_digest_headers_offer_one_click_unsubscribe(smtp, scenario):
    alert = subscription(since=scenario["since"])

    run()

    [message] = smtp.messages
    delivery = Delivery.objects.get()
    unsubscribe = f"https://testserver/alertes/desabonner/{alert.token}/"
    assert header(message, "List-Unsubscribe") == f"<{unsubscribe}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"] == f"<alerte-{delivery.pk}-{delivery.period}@testserver>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert f"Me désabonner : {unsubscribe}" in text_of(message)
    assert f"Voir et supprimer mes alertes : https://testserver/alertes/gerer/{alert.token}/" in (
        text_of(message)
    )
    assert f'<a href="{unsubscribe}">Me désabonner</a>' in html_of(message)


def test_nothing_is_sent_before_confirmation(smtp, scenario):
    subscription(since=None)

    out, _err = run()

    assert smtp.messages == []
    assert Delivery.objects.count() == 0
    assert out.startswith("Alertes : 0 envoyée(s), 0 sans nouveauté")


def test_nothing_new_sends_nothing_and_settles_the_period(smtp):
    alert = subscription(since=timezone.now() - DAY)

    out, _err = run()

    assert smtp.messages == []
    assert out.startswith("Alertes : 0 envoyée(s), 1 sans nouveauté")
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.sent_at) == (DeliveryStatus.EMPTY, None)
    alert.refresh_from_db()
    assert alert.sent_until == delivery.window_end


def test_rerun_in_the_same_period_sends_nothing_twice(smtp, scenario):
    subscription(since=scenario["since"])
    run()

    out, _err = run()

    assert len(smtp.messages) == 1
    assert out.startswith("Alertes : 0 envoyée(s), 0 sans nouveauté, 0 en échec")
    assert Delivery.objects.count() == 1


def test_next_period_reports_only_what_changed_since_the_last_digest(smtp, scenario):
    subscription(since=scenario["since"])
    first = send_due_digests(now=scenario["now"])
    later = stamp(
        reemploi(ActorFactory(name="Structure du lendemain")),
        created=scenario["now"] + HOUR,
        updated=scenario["now"] + HOUR,
    )
    stamp(
        scenario["changed"], created=scenario["now"] - 30 * DAY, updated=scenario["now"] + 2 * HOUR
    )

    second = send_due_digests(now=scenario["now"] + DAY)

    assert (first.sent, second.sent) == (1, 1)
    assert items(smtp.messages[1]) == [
        "- [Modifié] Structure modifiée — Toul",
        f"- [Nouveau] {later.name} — Toul",
    ]
    assert Delivery.objects.filter(status="sent").count() == 2


def test_interrupted_run_resumes_without_sending_twice(smtp, scenario, monkeypatch):
    first = subscription(since=scenario["since"])
    second = subscription(email="dominique@example.org", since=scenario["since"])
    build = services.mail.digest_message
    calls = []

    def build_then_crash(alert, delivery, sections):
        calls.append(alert.pk)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return build(alert, delivery, sections)

    monkeypatch.setattr(services.mail, "digest_message", build_then_crash)
    with pytest.raises(KeyboardInterrupt):
        run()
    monkeypatch.setattr(services.mail, "digest_message", build)
    pending = Delivery.objects.get(subscription=second)
    assert pending.status == "pending"

    out, _err = run()
    run()

    assert out.startswith("Alertes : 1 envoyée(s)")
    assert [m["To"] for m in smtp.messages] == ["camille@example.org", "dominique@example.org"]
    assert calls == [first.pk, second.pk]
    resumed = Delivery.objects.get(subscription=second)
    assert (resumed.pk, resumed.window_end, resumed.status) == (
        pending.pk,
        pending.window_end,
        "sent",
    )


@pytest.mark.parametrize(
    ("break_server", "label"),
    [
        (
            lambda smtp: setattr(smtp, "data_reply", "451 4.3.0 Try again later"),
            "SMTPDataError 451",
        ),
        (lambda smtp: setattr(smtp, "data_reply", "554 5.6.0 Rejected"), "SMTPDataError 554"),
        (lambda smtp: setattr(smtp, "rcpt_reply", "554 5.7.1 Refused"), "SMTPRecipientsRefused"),
        (lambda smtp: smtp.stop(), "ConnectionRefusedError 111"),
    ],
)
def test_smtp_failure_marks_nothing_sent_and_next_run_retries(smtp, scenario, break_server, label):
    alert = subscription(since=scenario["since"])
    break_server(smtp)

    with pytest.raises(CommandError) as failure:
        run()

    assert str(failure.value) == (
        "1 alerte(s) non envoyée(s) : elles seront réessayées au prochain passage."
    )
    assert smtp.messages == []
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.sent_at, delivery.attempts) == ("pending", None, 1)
    assert delivery.last_error == label
    alert.refresh_from_db()
    assert alert.sent_until == scenario["since"]

    smtp.data_reply = smtp.rcpt_reply = None
    if smtp.controller is None:
        smtp.start(smtp.port)
    out, _err = run()

    assert out.startswith("Alertes : 1 envoyée(s), 0 sans nouveauté, 0 en échec")
    [message] = smtp.messages
    assert items(message) == [
        "- [Nouveau] Structure nouvelle — Toul",
        "- [Modifié] Structure modifiée — Toul",
    ]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)


def test_failures_are_reported_without_addresses(smtp, scenario, caplog):
    alert = subscription(since=scenario["since"])
    smtp.rcpt_reply = "554 5.7.1 <camille@example.org>: Recipient address rejected"
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError):
        call_command("send_alerts", stdout=out, stderr=err)

    assert err.getvalue() == f"alerte {alert.pk} : échec de l'envoi (SMTPRecipientsRefused)\n"
    for output in (out.getvalue(), err.getvalue(), caplog.text, Delivery.objects.get().last_error):
        assert "camille" not in output


def test_failure_carried_into_the_next_period_is_sent_once(smtp, scenario):
    alert = subscription(since=scenario["since"])
    smtp.data_reply = "451 4.3.0 Try again later"
    send_due_digests(now=scenario["now"])
    smtp.data_reply = None

    report = send_due_digests(now=scenario["now"] + DAY)

    assert report.sent == 1
    [delivery] = Delivery.objects.all()
    assert delivery.period == period_of("daily", scenario["now"] + DAY)
    assert delivery.window_start == scenario["since"]
    assert len(items(smtp.messages[0])) == 2
    alert.refresh_from_db()
    assert alert.sent_until == scenario["now"] + DAY


def test_weekly_alerts_are_sent_once_a_week(smtp, scenario):
    subscription(frequency="weekly", since=scenario["since"])

    daily, _err = run("--frequency", "daily")
    weekly, _err = run("--frequency", "weekly")
    again, _err = run()

    assert daily.startswith("Alertes : 0 envoyée(s)")
    assert weekly.startswith("Alertes : 1 envoyée(s)")
    assert again.startswith("Alertes : 0 envoyée(s)")
    assert len(smtp.messages) == 1
    assert re.fullmatch(r"\d{4}-W\d{2}", Delivery.objects.get().period)


def test_territory_alert_gathers_the_lists_of_the_territory(smtp):
    now = timezone.now()
    subscription(search_list="territoire", query="territoire=departement-54", since=now - DAY)
    scheme = SchemeFactory(name="Dispositif nouveau")
    SchemeFactory(name="Dispositif ailleurs", collectivite__territory=territory("departement-57"))
    event = EventFactory(title="Forum nouveau", start_date=timezone.localdate() + 10 * DAY)
    EventFactory(title="Forum passé", start_date=timezone.localdate() - 10 * DAY)

    run()

    [message] = smtp.messages
    assert header(message, "Subject") == "essdir : 2 nouveauté(s) — Page d'un territoire"
    text = text_of(message)
    headings = [line for line in text.splitlines() if line.startswith("== ")]
    assert headings == ["== Dispositifs (1) ==", "== Événements (1) =="]
    assert items(message) == [
        f"- [Nouveau] {scheme.name} — {scheme.collectivite.name}",
        f"- [Nouveau] {event.title} — {date_format(event.start_date, 'l j F Y')}",
    ]
    meurthe = territory("departement-54")
    assert f"Votre recherche sur le site : https://testserver{meurthe.get_absolute_url()}" in text
    assert "Voir la liste : https://testserver/dispositifs/?territoire=departement-54" in text


def test_invalid_saved_search_is_reported_and_kept(smtp):
    alert = subscription(since=timezone.now() - DAY)
    Subscription.objects.filter(pk=alert.pk).update(query="theme=disparu")

    with pytest.raises(CommandError):
        run()

    assert smtp.messages == []
    assert Delivery.objects.get().status == "pending"


def test_unconfirmed_alerts_and_old_attempts_are_purged(smtp, settings):
    now = timezone.now()
    stale = subscription(since=None)
    fresh = subscription(email="dominique@example.org", since=None)
    Subscription.objects.filter(pk=stale.pk).update(created_at=now - 8 * DAY)
    Subscription.objects.filter(pk=fresh.pk).update(created_at=now - 6 * DAY)
    SubscriptionAttempt.objects.create(
        email_hash="a" * 64, address_hash="b" * 64, created_at=now - 2 * DAY
    )
    recent = SubscriptionAttempt.objects.create(email_hash="c" * 64, address_hash="d" * 64)

    out, _err = run()

    assert out.endswith("; 1 alerte(s) non confirmée(s) effacée(s).\n")
    assert list(Subscription.objects.all()) == [fresh]
    assert list(SubscriptionAttempt.objects.all()) == [recent]


def test_unknown_frequency_is_a_command_error():
    with pytest.raises(CommandError) as error:
        run("--frequency", "monthly")

    assert "invalid choice: 'monthly'" in str(error.value)


def test_a_run_started_while_another_holds_a_digest_sends_each_digest_once(
    smtp, scenario, monkeypatch
):
    """Two runs at once (attack: 3 of 3 recipients got 2 copies): run B starts while run A
    holds the claim of the first digest; B leaves that one to A and sends the others, which
    A then finds sent."""
    addresses = [f"personne{n}@example.org" for n in range(3)]
    for address in addresses:
        subscription(email=address, since=scenario["since"])
    build = services.mail.digest_message
    other_runs = []

    def build_while_another_run_starts(alert, delivery, sections):
        if not other_runs:
            other_runs.append(None)
            other_runs[0] = send_due_digests(now=scenario["now"])
        return build(alert, delivery, sections)

    monkeypatch.setattr(services.mail, "digest_message", build_while_another_run_starts)

    first = send_due_digests(now=scenario["now"])

    [second] = other_runs
    assert sorted(m["To"] for m in smtp.messages) == addresses
    assert (first.sent, first.busy, second.sent, second.busy) == (1, 0, 2, 1)
    assert first.ok and second.ok
    assert set(Delivery.objects.values_list("status", "claimed_by", "claimed_at")) == {
        ("sent", "", None)
    }


def test_a_claim_left_by_a_killed_run_is_taken_over_once_stale(smtp, scenario):
    """A run killed outright (no chance to release its claim) blocks its digest for
    CLAIM_TIMEOUT only; before that, the digest is left to it and reported."""
    subscription(since=scenario["since"])
    delivery = services.claim_delivery(
        subscription_pk=Subscription.objects.get().pk,
        period=period_of("daily", scenario["now"]),
        now=scenario["now"],
        run="killed",
    )

    out, _err = run()

    assert smtp.messages == []
    assert out == (
        "Alertes : 0 envoyée(s), 0 sans nouveauté, 0 en échec, 0 recherche(s) invalide(s), "
        "1 laissée(s) à un autre passage en cours ; 0 alerte(s) non confirmée(s) effacée(s).\n"
    )
    Delivery.objects.filter(pk=delivery.pk).update(
        claimed_at=timezone.now() - services.CLAIM_TIMEOUT - datetime.timedelta(seconds=1)
    )

    out, _err = run()

    assert out.startswith("Alertes : 1 envoyée(s), 0 sans nouveauté, 0 en échec")
    [message] = smtp.messages
    assert len(items(message)) == 2
    delivery.refresh_from_db()
    assert (delivery.status, delivery.claimed_by, delivery.claimed_at) == ("sent", "", None)


@pytest.mark.parametrize(
    ("moment", "received"),
    [
        ("before its turn", [0, 2]),
        ("while its digest is built", [0, 2]),
        ("while its message is sent", [0, 1, 2]),
    ],
)
def test_an_alert_unsubscribed_during_the_run_is_skipped_and_the_others_sent(
    smtp, scenario, monkeypatch, moment, received
):
    """Attack: unsubscribing while send_alerts ran crashed it ("Save with update_fields did
    not affect any rows"), leaving the alerts after it unsent."""
    addresses = [f"personne{n}@example.org" for n in range(3)]
    alerts = [subscription(email=address, since=scenario["since"]) for address in addresses]
    gone = alerts[1]
    build, send = services.mail.digest_message, EmailBackend.send_messages

    def build_and_unsubscribe(alert, delivery, sections):
        message = build(alert, delivery, sections)
        target = alerts[0] if moment == "before its turn" else gone
        if alert.pk == target.pk:
            services.unsubscribe(subscription=gone)
        return message

    def send_and_unsubscribe(backend, messages):
        sent = send(backend, messages)
        if messages[0].to == [gone.email]:
            services.unsubscribe(subscription=gone)
        return sent

    if moment == "while its message is sent":
        monkeypatch.setattr(EmailBackend, "send_messages", send_and_unsubscribe)
    else:
        monkeypatch.setattr(services.mail, "digest_message", build_and_unsubscribe)

    out, err = run()

    assert out == (
        f"Alertes : {len(received)} envoyée(s), 0 sans nouveauté, 0 en échec, "
        "0 recherche(s) invalide(s), 1 supprimée(s) pendant le passage ; "
        "0 alerte(s) non confirmée(s) effacée(s).\n"
    )
    assert err == ""
    assert [m["To"] for m in smtp.messages] == [addresses[n] for n in received]
    assert not Subscription.objects.filter(pk=gone.pk).exists()
    assert sorted(Delivery.objects.values_list("subscription", "status")) == [
        (alerts[0].pk, "sent"),
        (alerts[2].pk, "sent"),
    ]


def test_a_digest_describes_its_search_anew_never_from_the_stored_summary(smtp, scenario):
    """A summary stored before free text was left out of the e-mails may hold it (line
    breaks, links): the e-mails describe the search from its query."""
    alert = subscription(since=scenario["since"])
    Subscription.objects.filter(pk=alert.pk).update(
        summary="Mots-clés : Votre compte expire\nhttps://essdir-login.example/ · Thème : Réemploi"
    )

    run()

    [message] = smtp.messages
    text, page = text_of(message), html_of(message)
    assert text.splitlines()[0] == (
        "Les nouveautés de votre alerte « Acteurs de l'ESS » — Thème : Réemploi"
    )
    assert "<p>Thème : Réemploi</p>" in page
    assert "essdir-login" not in text + page
