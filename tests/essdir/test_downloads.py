"""The national files (core/downloads.py, essdir/downloads.py) and the bound on streamed
exports (core/export_views.py): a national export is complete or fails visibly."""

import csv
import dataclasses
import datetime
import gzip
import hashlib
import io
import json
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.http import http_date

from actors.exports import ACTORS
from actors.models import Actor
from actors.views import ActorExportView
from core import downloads
from core.exports import export_text
from essdir.data import DATASETS
from essdir.downloads import build_downloads
from tests.factories import ActorFactory, EventFactory, SchemeFactory

pytestmark = pytest.mark.django_db

FIELDS = {"dataset", "format", "rows", "bytes", "sha256", "built_at", "schema"}


@pytest.fixture(autouse=True)
def downloads_root(settings, tmp_path):
    settings.DOWNLOADS_ROOT = tmp_path / "downloads"
    # The rows' links, as the test client's requests build them: the same bytes.
    settings.SITE_URL = "https://testserver"
    return settings.DOWNLOADS_ROOT


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def manifest(root) -> dict:
    return json.loads((root / "manifest.json").read_text(encoding="utf-8"))["files"]


def read_gzip(path) -> str:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as file:
        return file.read()


def failing_after(count: int, row=ACTORS.row):
    """An export row function that fails on the record after `count` rows."""
    seen = []

    def fail(record, base_url):
        if len(seen) >= count:
            raise RuntimeError("database gone")
        seen.append(record)
        return row(record, base_url)

    return fail


# --- The build --------------------------------------------------------------------------------


SEEDLESS = {"accompagnement", "accompagnement-structures", "subventions"}


def test_the_build_writes_every_dataset_complete_in_both_formats(seed, downloads_root):
    built = build_downloads()

    files = manifest(downloads_root)
    assert sorted(files) == sorted(
        f"{dataset.slug}.{file_format}.gz"
        for dataset in DATASETS
        for file_format in ("csv", "json")
    )
    assert len(built) == 2 * len(DATASETS)
    for dataset in DATASETS:
        expected = dataset.rows().count()
        # The seed holds no data·inclusion nor grant file: those files hold a header only.
        assert expected > 0 or dataset.slug in SEEDLESS
        for file_format in ("csv", "json"):
            facts = files[f"{dataset.slug}.{file_format}.gz"]
            assert set(facts) >= FIELDS
            assert (facts["dataset"], facts["format"]) == (dataset.slug, file_format)
            assert facts["rows"] == expected
            assert facts["schema"] == dataset.view_class.export.schema
            assert datetime.datetime.fromisoformat(facts["built_at"]).tzinfo is not None
            stored = downloads_root / facts["file"]
            raw = stored.read_bytes()
            assert facts["bytes"] == len(raw)
            assert facts["sha256"] == hashlib.sha256(raw).hexdigest()
            text = read_gzip(stored)
            if file_format == "json":
                assert len(json.loads(text)) == expected
            else:
                rows = list(csv.DictReader(io.StringIO(text)))
                assert len(rows) == expected
    # Nothing half-written is left behind.
    assert not list(downloads_root.glob("*.tmp"))


def test_a_national_file_holds_what_the_streamed_export_of_everything_gives(client, seed):
    build_downloads()

    for dataset in DATASETS:
        for file_format in ("csv", "json"):
            streamed = body(client.get(dataset.url(file_format))).decode("utf-8")
            built = downloads.built_file(dataset.slug, file_format)
            assert read_gzip(built.path) == streamed, (dataset.slug, file_format)


def test_the_agendas_national_file_holds_past_and_upcoming_events(time_machine):
    time_machine.move_to(datetime.datetime(2026, 6, 1, 10, tzinfo=datetime.UTC))
    EventFactory(title="Passé", start_date=datetime.date(2025, 9, 1))
    EventFactory(title="À venir", start_date=datetime.date(2026, 9, 1))

    build_downloads(datasets=["evenements"])

    rows = json.loads(read_gzip(downloads.built_file("evenements", "json").path))
    assert sorted(row["title"] for row in rows) == ["Passé", "À venir"]


def test_building_again_gives_the_same_bytes_and_keeps_one_copy_of_each_file(downloads_root):
    SchemeFactory.create_batch(3)
    first = {f.name: f.sha256 for f in build_downloads()}

    second = {f.name: f.sha256 for f in build_downloads()}

    assert first == second  # no date in the gzip header: the ETag holds while rows do
    stored = sorted(
        p.name for p in downloads_root.iterdir() if downloads.STORED_NAME.fullmatch(p.name)
    )
    assert stored == sorted(f["file"] for f in manifest(downloads_root).values())
    assert len(stored) == 2 * len(DATASETS)


def test_a_changed_dataset_replaces_its_file_and_removes_the_old_one(downloads_root):
    SchemeFactory()
    old = build_downloads(datasets=["dispositifs"])[0]

    SchemeFactory()
    new = build_downloads(datasets=["dispositifs"])[0]

    assert (old.rows, new.rows) == (1, 2)
    assert new.sha256 != old.sha256
    assert not old.path.exists()
    assert new.path.exists()


def test_an_interrupted_build_leaves_the_previous_files_in_place(monkeypatch, downloads_root):
    ActorFactory.create_batch(3)
    build_downloads(datasets=["acteurs"])
    before = manifest(downloads_root)
    previous = {
        name: (downloads_root / facts["file"]).read_bytes() for name, facts in before.items()
    }
    # What a build killed mid-way (SIGKILL, no clean-up) leaves: removed by the next one.
    (downloads_root / ".acteurs.csv.gz.killed.tmp").write_bytes(b"\x1f\x8b half")
    ActorFactory.create_batch(2)
    broken = dataclasses.replace(ACTORS, row=failing_after(2))
    monkeypatch.setattr(ActorExportView, "export", broken)

    with pytest.raises(RuntimeError, match="database gone"):
        build_downloads()

    assert manifest(downloads_root) == before
    for name, facts in before.items():
        assert (downloads_root / facts["file"]).read_bytes() == previous[name]
    assert not list(downloads_root.glob("*.tmp"))
    # The other datasets were not built over a failure.
    assert downloads.built_file("dispositifs", "csv") is None


def test_a_second_build_told_not_to_wait_gives_up_while_one_runs(downloads_root):
    with downloads.build_lock():
        with pytest.raises(downloads.BuildInProgress):
            build_downloads(wait=False)
        output = io.StringIO()
        call_command("build_downloads", "--no-wait", stdout=output)

    assert "Another build is running: nothing done." in output.getvalue()
    assert downloads.read_manifest() == {}


@pytest.mark.django_db(transaction=True)
def test_concurrent_builds_run_one_after_the_other_and_leave_valid_files(
    monkeypatch, downloads_root
):
    ActorFactory.create_batch(5)
    SchemeFactory.create_batch(2)
    first_inside, go_on = threading.Event(), threading.Event()
    write_files = downloads.write_files

    calls = []

    def slow_first_build(export, records, base_url, **kwargs):
        calls.append(threading.current_thread().name)
        if not first_inside.is_set():
            first_inside.set()
            go_on.wait(10)
        return write_files(export, records, base_url, **kwargs)

    monkeypatch.setattr(downloads, "write_files", slow_first_build)
    results, errors = {}, []

    def run(name):
        try:
            results[name] = build_downloads()
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    first = threading.Thread(target=run, args=("first",), name="first")
    first.start()
    assert first_inside.wait(10)
    second = threading.Thread(target=run, args=("second",), name="second")
    second.start()
    second.join(0.5)
    waiting = second.is_alive()  # blocked on the lock the first build holds
    calls_while_waiting = list(calls)
    go_on.set()
    first.join(30)
    second.join(30)

    assert errors == []
    assert waiting
    assert calls_while_waiting == ["first"]  # the second had not started writing
    assert [f.name for f in results["first"]] == [f.name for f in results["second"]]
    for name, facts in manifest(downloads_root).items():
        raw = (downloads_root / facts["file"]).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == facts["sha256"], name
        expected = {"acteurs": 5, "dispositifs": 2}.get(facts["dataset"], facts["rows"])
        assert facts["rows"] == expected
        if name.endswith(".json.gz"):
            assert len(json.loads(gzip.decompress(raw))) == facts["rows"]


def test_the_command_builds_the_datasets_asked(downloads_root):
    SchemeFactory()
    output = io.StringIO()

    call_command("build_downloads", "--dataset", "dispositifs", stdout=output)

    assert "dispositifs: 1 rows" in output.getvalue()
    assert set(manifest(downloads_root)) == {"dispositifs.csv.gz", "dispositifs.json.gz"}


# --- Serving ----------------------------------------------------------------------------------


@pytest.fixture
def built_schemes():
    SchemeFactory.create_batch(2)
    return {f.format: f for f in build_downloads(datasets=["dispositifs"])}


def test_a_national_file_is_served_with_its_size_date_and_checksum(client, built_schemes):
    built = built_schemes["csv"]

    response = client.get("/donnees/telechargements/dispositifs.csv.gz")

    content = b"".join(response.streaming_content)
    response.close()
    assert response.status_code == 200
    assert response["Content-Type"] == "application/gzip"
    assert "Content-Encoding" not in response
    assert response["Content-Length"] == str(built.bytes) == str(len(content))
    assert response["ETag"] == f'"{built.sha256}"'
    assert response["Last-Modified"] == http_date(built.built_at.timestamp())
    assert response["Content-Disposition"] == (
        f'attachment; filename="essdir-dispositifs-{built.built_at.date().isoformat()}.csv.gz"'
    )
    assert response["X-Licence"] == "Licence Ouverte 2.0 (Etalab)"
    assert hashlib.sha256(content).hexdigest() == built.sha256
    assert len(list(csv.DictReader(io.StringIO(gzip.decompress(content).decode())))) == 2


def test_a_current_copy_gets_a_304(client, built_schemes):
    built = built_schemes["json"]
    path = "/donnees/telechargements/dispositifs.json.gz"

    by_etag = client.get(path, headers={"if-none-match": f'"{built.sha256}"'})
    by_date = client.get(path, headers={"if-modified-since": http_date(built.built_at.timestamp())})
    stale = client.get(path, headers={"if-none-match": '"0123"'})
    stale.close()

    assert by_etag.status_code == by_date.status_code == 304
    assert by_etag["ETag"] == f'"{built.sha256}"'
    assert stale.status_code == 200


def test_head_gives_the_headers_alone(client, built_schemes):
    response = client.head("/donnees/telechargements/dispositifs.csv.gz")

    assert response.status_code == 200
    assert response["Content-Length"] == str(built_schemes["csv"].bytes)
    assert response["ETag"] == f'"{built_schemes["csv"].sha256}"'
    assert response.content == b""


@pytest.mark.parametrize(
    "name",
    [
        "inconnu.csv.gz",
        "dispositifs.xml.gz",
        "dispositifs.csv",
        "manifest.json",
        ".build.lock",
        "..%2Fmanifest.json",
        "..%2F..%2F..%2Fetc%2Fpasswd",
        "%2e%2e%2fmanifest.json",
        "..",
        "dispositifs.csv.gz%00",
        "DISPOSITIFS.CSV.GZ",
    ],
)
def test_unknown_names_and_paths_are_404(client, built_schemes, name):
    response = client.get(f"/donnees/telechargements/{name}")

    assert response.status_code == 404


def test_a_stored_file_is_reached_through_its_public_name_only(client, built_schemes):
    stored = built_schemes["csv"].file

    assert client.get(f"/donnees/telechargements/{stored}").status_code == 404


def test_a_file_not_built_yet_is_404(client, built_schemes):
    assert client.get("/donnees/telechargements/acteurs.csv.gz").status_code == 404


def test_a_file_removed_under_the_manifest_is_404_not_an_error(client, built_schemes):
    built_schemes["csv"].path.unlink()

    assert client.get("/donnees/telechargements/dispositifs.csv.gz").status_code == 404


# --- The bound on streamed exports ------------------------------------------------------------


@pytest.fixture
def bound(settings):
    settings.EXPORT_STREAM_MAX_ROWS = 2
    return 2


def test_a_filtered_export_over_the_bound_is_refused_with_a_link_to_the_national_file(
    client, bound
):
    ActorFactory.create_batch(3, family="association")

    response = client.get("/acteurs/export.csv", {"famille": "association"})

    text = response.content.decode()
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "plus de 2 lignes" in text
    assert "Affinez les filtres" in text
    assert "https://testserver/donnees/telechargements/acteurs.csv.gz" in text


def test_the_count_before_streaming_stops_after_the_bound(client, bound):
    ActorFactory.create_batch(3, family="association")

    with CaptureQueriesContext(connection) as queries:
        client.get("/acteurs/export.csv", {"famille": "association"})

    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1
    assert "LIMIT 3" in counts[0]


def test_the_whole_dataset_over_the_bound_is_redirected_to_its_national_file(client, bound):
    ActorFactory.create_batch(3)
    build_downloads(datasets=["acteurs"])

    csv_export = client.get("/acteurs/export.csv")
    json_export = client.get("/acteurs/export.json", {"famille": ""})  # an empty filter is none

    assert csv_export.status_code == json_export.status_code == 303
    assert csv_export["Location"] == "/donnees/telechargements/acteurs.csv.gz"
    assert json_export["Location"] == "/donnees/telechargements/acteurs.json.gz"


def test_the_whole_agenda_is_periode_tous_and_its_default_a_selection(client, bound):
    for day in (1, 2, 3):
        EventFactory(start_date=datetime.date(2099, 1, day))
    build_downloads(datasets=["evenements"])

    everything = client.get("/evenements/export.csv", {"periode": "tous"})
    upcoming = client.get("/evenements/export.csv")

    assert everything.status_code == 303
    assert everything["Location"] == "/donnees/telechargements/evenements.csv.gz"
    assert upcoming.status_code == 400


def test_the_whole_dataset_before_its_file_is_built_is_503(client, bound):
    ActorFactory.create_batch(3)

    response = client.get("/acteurs/export.csv")

    assert response.status_code == 503
    assert response["Retry-After"] == "3600"
    assert "pas encore prêt" in response.content.decode()


def test_an_export_within_the_bound_streams_as_before(client, bound):
    ActorFactory.create_batch(2, family="association")
    ActorFactory(family="cooperative")

    response = client.get("/acteurs/export.csv", {"famille": "association"})

    assert response.status_code == 200
    assert response.streaming
    assert len(list(csv.DictReader(io.StringIO(body(response).decode())))) == 2


# --- An error while streaming -----------------------------------------------------------------


def test_an_error_mid_stream_never_writes_the_end_of_the_json():
    ActorFactory.create_batch(2)

    def records():
        yield Actor.objects.published().for_export().first()
        raise RuntimeError("database gone")

    written = []
    with pytest.raises(RuntimeError):
        for piece in export_text(ACTORS, "json", records(), "https://testserver"):
            written.append(piece)

    assert len(written) == 2  # "[" and the first row: no closing "]" after the error
    assert written[0] == "["
    assert json.loads(written[1]).keys() == set(ACTORS.column_names)


@pytest.mark.parametrize("file_format", ["json", "csv"])
def test_an_error_mid_stream_aborts_the_response(client, monkeypatch, caplog, file_format):
    ActorFactory.create_batch(4)
    monkeypatch.setattr(
        ActorExportView, "export", dataclasses.replace(ACTORS, row=failing_after(2))
    )

    response = client.get(f"/acteurs/export.{file_format}")
    received = []
    with pytest.raises(RuntimeError, match="database gone"):
        for chunk in response.streaming_content:
            received.append(chunk)

    text = b"".join(received).decode()
    assert response.status_code == 200  # sent before the error: the server aborts the body
    if file_format == "json":
        assert not text.rstrip().endswith("]")
        with pytest.raises(json.JSONDecodeError):
            json.loads(text)
    assert len(text.strip().splitlines()) == 3  # "[" or the header, then two rows
    assert "failed while streaming" in caplog.text
