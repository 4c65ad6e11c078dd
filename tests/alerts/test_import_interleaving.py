"""Digests while changes are still on their way: a transaction not yet committed, a SIRENE
import writing for minutes and building the places (where structures act, what territory
searches read) at its end. Each change is reported once, whatever the interleaving: a
digest's window ends at the committed horizon (alerts.services.committed_horizon), not at
the run's time, and the next digest starts there.

Attack (before): 0 of 13 500 Moselle structures imported while send_alerts ran were ever
reported, over three daily runs: the window [cursor, now) closed over rows not yet
committed, or committed without their places, and the cursor moved past them.
"""

from __future__ import annotations

import datetime
import io
import threading

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.http import QueryDict
from django.utils import timezone

from actors import derived
from actors.models import Actor, ImportRun
from actors.sirene.importer import import_sirene
from actors.sirene.synthetic import establishment_row, synthetic_siren, unit_row
from actors.sirene.writer import SireneWriter
from alerts import services
from alerts.models import Delivery, DeliveryStatus, Subscription
from alerts.searches import saved_search
from territories.geography import Geography
from territories.models import Territory
from territories.services import import_geography
from tests.actors.sirene_helpers import METZ, STRASBOURG, branch, siret, write_files
from tests.alerts.conftest import text_of
from tests.factories import ActorFactory, territory
from tests.geo import geography_subset

DAY = datetime.timedelta(days=1)

# Three structures of the import: a head office in Metz; a head office in Nancy with a
# branch in Metz (it acts in Moselle through its places only); one in Strasbourg.
IN_METZ, NANCY_AND_METZ, IN_STRASBOURG = (synthetic_siren(n) for n in (1, 2, 3))
NAMES = {
    IN_METZ: "MAISON DES JEUNES DE METZ",
    NANCY_AND_METZ: "RESSOURCERIE DE NANCY",
    IN_STRASBOURG: "EPICERIE SOLIDAIRE DE STRASBOURG",
}
# The two searches that follow Moselle: a territory page and the actors' list.
MOSELLE = {
    "territoire@example.org": ("territoire", "territoire=departement-57"),
    "acteurs@example.org": ("acteurs", "territoire=departement-57"),
}


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    """A local time of the scenario: March 2026, the import on the 3rd (a Tuesday)."""
    return timezone.make_aware(datetime.datetime(2026, 3, day, hour, minute))


def follow_moselle(since: datetime.datetime) -> None:
    """Daily alerts on Moselle, confirmed at `since`."""
    for email, (search_list, query) in MOSELLE.items():
        search = saved_search(search_list=search_list, params=QueryDict(query))
        Subscription.objects.create(
            email=email,
            search_list=search_list,
            query=search.query,
            summary=search.summary,
            frequency="daily",
            confirmed_at=since,
            sent_until=since,
        )


def send_alerts() -> str:
    out = io.StringIO()
    call_command("send_alerts", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def digests(messages) -> dict[str, list[str]]:
    """The items of each message, by recipient."""
    return {
        message["To"]: [item for item in text_of(message).splitlines() if item.startswith("- [")]
        for message in messages
    }


def each_alert(items: list[str]) -> dict[str, list[str]]:
    """What both alerts on Moselle received: the same items."""
    return {email: list(items) for email in MOSELLE}


def deliveries(period: str) -> dict[str, tuple]:
    """Status and window of each alert's delivery of `period`, by address."""
    return {
        email: (status, start, end)
        for email, status, start, end in Delivery.objects.filter(period=period).values_list(
            "subscription__email", "status", "window_start", "window_end"
        )
    }


def cursors() -> set[datetime.datetime]:
    return set(Subscription.objects.values_list("sent_until", flat=True))


def line(actor: Actor, label: str) -> str:
    return f"- [{label}] {actor.name} — {actor.territory.name}"


def imported(siren: str) -> Actor:
    return Actor.objects.select_related("territory").get(siren=siren)


@pytest.fixture
def stocks(tmp_path):
    """The SIRENE files of the import, in this order: the head offices of Metz and Nancy,
    the Nancy one's branch in Metz, Strasbourg."""
    units = [unit_row(siren, denominationUniteLegale=name) for siren, name in NAMES.items()]
    rows = [
        establishment_row(siret(IN_METZ), **METZ),
        establishment_row(siret(NANCY_AND_METZ)),
        branch(NANCY_AND_METZ, 1, **METZ),
        establishment_row(siret(IN_STRASBOURG), **STRASBOURG),
    ]
    return write_files(tmp_path, units, rows)


def before_places(monkeypatch, during):
    """Call `during()` once, inside the next import (or refresh), when its rows are all
    written and committed and its places not built yet."""
    original = derived.refresh_actor_places
    called = []

    def refresh_actor_places(*, actor_ids=None):
        if actor_ids is None and not called:
            called.append(True)
            during()
        return original(actor_ids=actor_ids)

    monkeypatch.setattr(derived, "refresh_actor_places", refresh_actor_places)
    return called


# --- (b) An import under way holds the windows at its start, on both databases. ----------


@pytest.mark.django_db
def test_a_run_during_an_import_stops_at_its_start_and_the_next_reports_it_once(
    smtp, stocks, time_machine, monkeypatch
):
    """The import starts at 05:30 and send_alerts runs at 07:00, when the import has
    committed all its rows (stamped 05:30) but not built their places yet."""
    time_machine.move_to(at(2, 8), tick=False)
    follow_moselle(since=at(2, 8))
    outputs = []

    def run_at_seven():
        time_machine.move_to(at(3, 7), tick=False)
        outputs.append(send_alerts())
        time_machine.move_to(at(3, 7, 30), tick=False)

    time_machine.move_to(at(3, 5, 30), tick=False)
    called = before_places(monkeypatch, run_at_seven)
    import_sirene(**stocks)

    assert called == [True]
    import_run = ImportRun.objects.get()
    assert (import_run.started_at, import_run.completed_at) == (at(3, 5, 30), at(3, 7, 30))
    # Run at 07:00 during the import: its rows (stamped 05:30, committed, without places)
    # are left to the next run; the windows end where the import started.
    assert smtp.messages == []
    assert deliveries("2026-03-03") == {
        email: (DeliveryStatus.EMPTY, at(2, 8), at(3, 5, 30)) for email in MOSELLE
    }
    assert cursors() == {at(3, 5, 30)}
    assert outputs[0].splitlines() == [
        "Alertes : 0 envoyée(s), 2 sans nouveauté, 0 en échec, 0 recherche(s) invalide(s) ; "
        "0 alerte(s) non confirmée(s) effacée(s).",
        "Nouveautés envoyées jusqu'au 03/03/2026 à 05:30 seulement : un import SIRENE "
        "commencé alors n'a pas fini (lieux non construits) ; la suite partira avec un "
        "prochain passage.",
    ]

    # The next day: the two Moselle structures, the one acting there through its branch
    # included (places built); once.
    time_machine.move_to(at(4, 7), tick=False)
    out = send_alerts()

    assert out.startswith("Alertes : 2 envoyée(s), 0 sans nouveauté")
    metz, nancy = imported(IN_METZ), imported(NANCY_AND_METZ)
    expected = [line(nancy, "Nouveau"), line(metz, "Nouveau")]  # same stamp: newest id first
    assert digests(smtp.messages) == each_alert(expected)
    assert deliveries("2026-03-04") == {
        email: (DeliveryStatus.SENT, at(3, 5, 30), at(4, 7)) for email in MOSELLE
    }

    time_machine.move_to(at(5, 7), tick=False)
    out = send_alerts()

    assert out.startswith("Alertes : 0 envoyée(s), 2 sans nouveauté")
    assert len(smtp.messages) == 2
    assert cursors() == {at(5, 7)}


@pytest.mark.django_db
def test_an_import_killed_before_its_places_holds_the_windows_until_a_later_run_builds_them(
    smtp, stocks, time_machine, monkeypatch
):
    """An import killed while writing (kill -9, a reboot) stays unfinished for good when
    refresh_panoramas cannot finish it (its closures need the files): what it committed is
    reported once the nightly refresh built the places, not before, and not twice."""
    time_machine.move_to(at(2, 8), tick=False)
    follow_moselle(since=at(2, 8))
    write_batch = SireneWriter.write_batch
    calls = []

    class Killed(BaseException):
        pass

    def dying(writer, batch):
        calls.append(batch)
        if len(calls) == 2:
            raise Killed
        return write_batch(writer, batch)

    time_machine.move_to(at(3, 5, 30), tick=False)
    monkeypatch.setattr(SireneWriter, "write_batch", dying)
    with pytest.raises(Killed):
        import_sirene(**stocks, batch_size=2)
    monkeypatch.undo()
    killed = ImportRun.objects.get()
    assert (killed.completed_at, killed.steps, killed.batches) == (None, ["units"], 1)

    time_machine.move_to(at(3, 7), tick=False)
    send_alerts()

    assert smtp.messages == []
    assert cursors() == {at(3, 5, 30)}

    # The nightly refresh builds the places of what the killed import committed (the Metz
    # head office; the Nancy one, whose Metz branch was in the lost batch).
    time_machine.move_to(at(3, 23), tick=False)
    call_command("refresh_panoramas", stdout=io.StringIO())
    killed.refresh_from_db()
    assert (killed.completed_at, killed.repaired_by) == (None, None)
    time_machine.move_to(at(4, 7), tick=False)
    send_alerts()
    time_machine.move_to(at(5, 7), tick=False)
    send_alerts()

    assert digests(smtp.messages) == each_alert([line(imported(IN_METZ), "Nouveau")])
    assert deliveries("2026-03-04") == {
        email: (DeliveryStatus.SENT, at(3, 5, 30), at(4, 7)) for email in MOSELLE
    }
    assert {status for status, _start, _end in deliveries("2026-03-05").values()} == {
        DeliveryStatus.EMPTY
    }


@pytest.mark.django_db
def test_a_refresh_under_way_does_not_hold_the_windows(smtp, time_machine):
    """refresh_panoramas writes no change stamps: its run, unfinished, holds nothing."""
    time_machine.move_to(at(3, 7), tick=False)
    ImportRun.objects.create(kind=ImportRun.Kind.REFRESH, started_at=at(3, 6))

    assert services.committed_horizon(at(3, 7)) == services.Horizon(at(3, 7))


# --- (c) An edit, an import and three daily runs, interleaved. ------------------------------


@pytest.mark.django_db
def test_edits_an_import_and_three_daily_runs_report_each_change_once(
    smtp, stocks, time_machine, monkeypatch
):
    """03/02 08:00 the alerts are confirmed; 20:00 staff edit X. 03/03 05:30 the import
    starts; 06:00 staff edit Y (committed at once); 07:00 first run, the import still
    writing; 07:30 the import ends; 18:00 staff edit X again. 03/04 and 03/05 07:00: the
    second and third runs."""
    time_machine.move_to(at(1, 9), tick=False)
    x = ActorFactory(name="Épicerie solidaire X", territory=territory("commune-57463"))
    y = ActorFactory(name="Atelier vélo Y", territory=territory("commune-57672"))
    time_machine.move_to(at(2, 8), tick=False)
    follow_moselle(since=at(2, 8))

    def edit(actor, moment):
        time_machine.move_to(moment, tick=False)
        actor.short_description = f"Modifiée le {moment:%d/%m à %H:%M}"
        actor.save()

    def during_the_import():
        edit(y, at(3, 6))
        time_machine.move_to(at(3, 7), tick=False)
        send_alerts()
        time_machine.move_to(at(3, 7, 30), tick=False)

    edit(x, at(2, 20))
    time_machine.move_to(at(3, 5, 30), tick=False)
    before_places(monkeypatch, during_the_import)
    import_sirene(**stocks)
    edit(x, at(3, 18))
    first = len(smtp.messages)
    time_machine.move_to(at(4, 7), tick=False)
    send_alerts()
    second = len(smtp.messages)
    time_machine.move_to(at(5, 7), tick=False)
    send_alerts()

    assert (first, second, len(smtp.messages)) == (2, 4, 4)  # the third run: nothing new
    assert digests(smtp.messages[:first]) == each_alert([line(x, "Modifié")])
    assert digests(smtp.messages[first:]) == each_alert(
        [
            line(x, "Modifié"),  # 03/03 18:00, its second change
            line(y, "Modifié"),  # 03/03 06:00, during the import: committed, held back
            line(imported(NANCY_AND_METZ), "Nouveau"),  # 03/03 05:30, the import's stamp
            line(imported(IN_METZ), "Nouveau"),
        ],
    )
    windows = {
        period: {(status, start, end) for status, start, end in deliveries(period).values()}
        for period in ("2026-03-03", "2026-03-04", "2026-03-05")
    }
    assert windows == {
        "2026-03-03": {(DeliveryStatus.SENT, at(2, 8), at(3, 5, 30))},
        "2026-03-04": {(DeliveryStatus.SENT, at(3, 5, 30), at(4, 7))},
        "2026-03-05": {(DeliveryStatus.EMPTY, at(4, 7), at(5, 7))},
    }


# --- (a) A transaction not committed yet while send_alerts runs (PostgreSQL). ------------


def load_moselle() -> None:
    """Moselle and two of its communes, unless the geography is there: a transactional
    test's database is emptied after it, the geography with it."""
    if Territory.objects.filter(short_slug="commune-57672").exists():
        return
    geo = geography_subset()
    import_geography(
        geo=Geography(
            regions=[r for r in geo.regions if r["code"] == "44"],
            departements=[d for d in geo.departements if d["code"] == "57"],
            communes=[c for c in geo.communes if c["code"] in {"57463", "57672"}],
        )
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not settings.DATABASE_IS_POSTGRES, reason="a second writer at once needs PostgreSQL"
)
def test_a_run_while_a_transaction_is_open_stops_before_it_and_the_next_reports_it_once(
    smtp, time_machine
):
    load_moselle()
    now = timezone.now()
    follow_moselle(since=now - 2 * DAY)
    metz = territory("commune-57463")
    committed = ActorFactory(name="Structure validée", territory=metz)
    Actor.objects.filter(pk=committed.pk).update(created_at=now - DAY, updated_at=now - DAY)
    written, commit, started = threading.Event(), threading.Event(), []
    pending: list[Actor] = []

    def writer():
        # Another process writing, as the admin or an import batch does: its transaction
        # opens, then it stamps and writes its rows (and their places), then commits later.
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT statement_timestamp()")
                    started.append(cursor.fetchone()[0])
                pending.extend(
                    ActorFactory(name=f"Structure en cours {n}", territory=metz) for n in (1, 2)
                )
                written.set()
                commit.wait(timeout=30)
        finally:
            written.set()
            connections.close_all()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert written.wait(timeout=30) and len(pending) == 2
        first_run = send_alerts()
    finally:
        commit.set()
        thread.join(timeout=30)

    # The open transaction's rows are not reported; the cursor stops before it began.
    [horizon] = cursors()
    assert started[0] - services.IN_FLIGHT - datetime.timedelta(seconds=1) < horizon
    assert horizon <= started[0] - services.IN_FLIGHT + datetime.timedelta(milliseconds=50)
    assert horizon < min(actor.updated_at for actor in pending)
    assert first_run.startswith("Alertes : 2 envoyée(s), 0 sans nouveauté")
    assert digests(smtp.messages) == each_alert([line(committed, "Nouveau")])

    time_machine.move_to(now + DAY)
    second_run = send_alerts()
    time_machine.move_to(now + 2 * DAY)
    third_run = send_alerts()

    assert second_run.startswith("Alertes : 2 envoyée(s), 0 sans nouveauté")
    assert third_run.startswith("Alertes : 0 envoyée(s), 2 sans nouveauté")
    newest_first = sorted(pending, key=lambda actor: (actor.updated_at, actor.pk), reverse=True)
    assert digests(smtp.messages[2:]) == each_alert(
        [line(actor, "Nouveau") for actor in newest_first]
    )
    assert len(smtp.messages) == 4
