"""`import_data_inclusion --download` against a local HTTP server (tests/fileserver.py)
serving the test files (fictitious): conditional requests, a download resumed, bad answers
refused cleanly, nothing imported from them."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from support.models import SupportService
from tests.fileserver import serving
from tests.support.test_import import KEPT, SERVICES, STRUCTURES

pytestmark = pytest.mark.django_db

BASE = "/data-inclusion/"


@pytest.fixture
def site(settings, tmp_path):
    with serving() as site:
        settings.DATA_INCLUSION_BASE_URL = site.url + BASE.strip("/")  # no final slash
        settings.DATA_INCLUSION_DOWNLOAD_DIR = tmp_path / "downloads"
        settings.DATA_INCLUSION_DOWNLOAD_ATTEMPTS = 1
        site.serve(f"{BASE}structures.json", STRUCTURES.read_bytes())
        site.serve(f"{BASE}services.json", SERVICES.read_bytes())
        yield site


def download(*args: str) -> str:
    out = io.StringIO()
    call_command("import_data_inclusion", "--download", *args, stdout=out)
    return out.getvalue()


def test_the_files_are_downloaded_and_imported_then_up_to_date(site, settings):
    output = download()

    assert set(SupportService.objects.values_list("di_id", flat=True)) >= KEPT - {
        "fictif--ett--garde-enfants"
    }
    assert "Services importés : 4" in output
    folder = settings.DATA_INCLUSION_DOWNLOAD_DIR
    assert (folder / "services.json").read_bytes() == SERVICES.read_bytes()
    # The file's date is the server's Last-Modified.
    assert {str(d) for d in SupportService.objects.values_list("file_date", flat=True)} == {
        "2026-01-03"
    }

    again = download()
    assert "à jour, déjà importés : rien à importer" in again
    assert site.asked("services.json")[-1]["If-None-Match"]


def test_a_changed_file_is_downloaded_and_imported(site):
    download()
    rows = json.loads(SERVICES.read_text(encoding="utf-8"))
    site.serve(
        f"{BASE}services.json",
        json.dumps([r for r in rows if r["id"] != "fictif--appui-54--developper"]).encode(),
    )
    output = download()

    assert "Retirés (absents du fichier de leur source) : 1 services" in output
    assert not SupportService.objects.filter(di_id="fictif--appui-54--developper").exists()


def test_an_interrupted_download_is_resumed_by_the_next_run(site, settings):
    site.drop_after[f"{BASE}services.json"] = 1000

    with pytest.raises(CommandError, match=r"interrompu .* la prochaine exécution reprendra"):
        download()
    assert not SupportService.objects.exists()
    part = settings.DATA_INCLUSION_DOWNLOAD_DIR / "services.json.part"
    assert part.stat().st_size == 1000

    download()
    resumed = site.asked("services.json")[-1]
    assert resumed["Range"] == "bytes=1000-"
    assert resumed["If-Range"]
    assert (settings.DATA_INCLUSION_DOWNLOAD_DIR / "services.json").read_bytes() == (
        SERVICES.read_bytes()
    )
    assert not part.exists()
    assert SupportService.objects.count() == 4


def test_a_dropped_connection_is_resumed_within_the_run(site, settings, monkeypatch):
    monkeypatch.setattr("core.fetching.time.sleep", lambda seconds: None)
    settings.DATA_INCLUSION_DOWNLOAD_ATTEMPTS = 2
    site.drop_after[f"{BASE}services.json"] = 500

    download()
    assert site.asked("services.json")[-1]["Range"] == "bytes=500-"
    assert SupportService.objects.count() == 4


@pytest.mark.parametrize("status", [404, 500])
def test_a_server_error_is_a_clean_command_error(site, status):
    site.status[f"{BASE}services.json"] = status

    with pytest.raises(CommandError, match=f"le serveur répond {status}"):
        download()
    assert not SupportService.objects.exists()


@pytest.mark.parametrize(
    "body, content_type, message",
    [
        (b"<!doctype html><title>Maintenance</title>", "text/html", "page HTML"),
        (b'{"detail": "not found"}', "application/json", "pas répondu un tableau JSON"),
        (SERVICES.read_bytes()[:-40], "application/json", "Fichier téléchargé refusé"),
    ],
    ids=["html", "not-an-array", "truncated"],
)
def test_a_bad_answer_is_refused_and_the_local_copy_kept(
    site, settings, body, content_type, message
):
    download()
    site.serve(f"{BASE}services.json", body, content_type=content_type)

    with pytest.raises(CommandError, match=message):
        download()
    folder = settings.DATA_INCLUSION_DOWNLOAD_DIR
    assert (folder / "services.json").read_bytes() == SERVICES.read_bytes()
    assert not (folder / "services.json.part").exists()
    assert SupportService.objects.count() == 4


def test_without_a_base_address_the_command_says_so(settings):
    settings.DATA_INCLUSION_BASE_URL = ""

    with pytest.raises(CommandError, match="DATA_INCLUSION_BASE_URL n'est pas configurée"):
        download()


def test_an_unreachable_or_malformed_address_is_a_clean_command_error(settings, tmp_path):
    settings.DATA_INCLUSION_DOWNLOAD_DIR = tmp_path / "downloads"
    settings.DATA_INCLUSION_DOWNLOAD_ATTEMPTS = 1
    for base in ("http://127.0.0.1:9/", "ftp//nowhere"):
        settings.DATA_INCLUSION_BASE_URL = base
        with pytest.raises(CommandError):
            download()


def test_files_as_whole_addresses(site, settings):
    settings.DATA_INCLUSION_BASE_URL = ""
    settings.DATA_INCLUSION_STRUCTURES_FILE = f"{site.url}{BASE.strip('/')}/structures.json"
    settings.DATA_INCLUSION_SERVICES_FILE = f"{site.url}{BASE.strip('/')}/services.json"

    download()
    assert SupportService.objects.count() == 4


def test_download_replaces_the_file_arguments(site):
    with pytest.raises(CommandError, match="--download remplace"):
        download("--services", str(SERVICES))
