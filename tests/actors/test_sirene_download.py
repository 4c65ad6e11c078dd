"""`import_sirene --download` against a local HTTP server (tests/fileserver.py) serving
stock files in INSEE's layout: conditional requests, resumed downloads, checks before any
import, atomic replacement of the local copy, progress on stderr."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from actors.models import Actor, ImportRun
from actors.sirene.download import GEOLOCATION_FILE
from actors.sirene.synthetic import (
    geolocation_row,
    synthetic_siren,
    write_geolocalisation,
)
from tests.actors.sirene_helpers import month_one, month_two, siret, write_files
from tests.fileserver import Site, serving

pytestmark = pytest.mark.django_db

UNITS = "StockUniteLegale_utf8.zip"
ESTABLISHMENTS = "StockEtablissement_utf8.zip"


class SireneSite(Site):
    """What the server serves (zip archives by default), and what it was asked."""

    def serve(self, path: str, body: bytes, *, content_type: str = "application/zip") -> None:
        super().serve(path, body, content_type=content_type)

    def serve_month(self, directory: Path) -> None:
        for name in (UNITS, ESTABLISHMENTS):
            self.serve(f"/insee-sirene/{name}", (directory / name).read_bytes())


@pytest.fixture
def site(settings, tmp_path):
    """A local server (tests/fileserver.py), where SIRENE_BASE_URL points; downloads in
    tmp_path/downloads."""
    with serving(SireneSite()) as site:
        settings.SIRENE_BASE_URL = f"{site.url}insee-sirene/"
        settings.SIRENE_DOWNLOAD_DIR = str(tmp_path / "downloads")
        settings.SIRENE_DOWNLOAD_ATTEMPTS = 1
        yield site


@pytest.fixture
def months(tmp_path):
    write_files(tmp_path / "m1", *month_one())
    write_files(tmp_path / "m2", *month_two())
    return tmp_path / "m1", tmp_path / "m2"


def download(*args, verbosity: int = 1) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_sirene", "--download", *args, stdout=out, stderr=err, verbosity=verbosity)
    return out.getvalue(), err.getvalue()


def local(name: str, settings) -> Path:
    return Path(settings.SIRENE_DOWNLOAD_DIR) / name


def test_new_files_are_downloaded_and_imported_then_up_to_date(site, months, settings):
    site.serve_month(months[0])

    out, err = download()

    assert "StockEtablissement_utf8.zip : nouvelle version téléchargée" in out
    assert "Import SIRENE terminé" in out
    assert Actor.objects.count() == 12
    assert local(ESTABLISHMENTS, settings).read_bytes() == (months[0] / ESTABLISHMENTS).read_bytes()
    # The progress, on stderr.
    assert "StockEtablissement_utf8.zip : " in err and "(100 %)" in err

    out, err = download()

    # Asked with the validators of the copy: 304, nothing downloaded nor imported.
    assert all(headers.get("If-None-Match") for headers in site.asked(ESTABLISHMENTS)[1:])
    assert "StockEtablissement_utf8.zip : inchangé (à jour)" in out
    assert "Fichiers SIRENE à jour, déjà importés le" in out
    assert "Import SIRENE terminé" not in out
    assert ImportRun.objects.count() == 1


def test_changed_files_are_downloaded_and_imported(site, months):
    site.serve_month(months[0])
    download()
    site.serve_month(months[1])

    out, _err = download()

    assert "nouvelle version téléchargée" in out
    assert Actor.objects.count() == 20
    assert ImportRun.objects.filter(completed_at__isnull=False).count() == 2


def test_an_interrupted_download_is_resumed_by_the_next_run(site, months, settings):
    site.serve_month(months[0])
    body = (months[0] / ESTABLISHMENTS).read_bytes()
    site.drop_after[f"/insee-sirene/{ESTABLISHMENTS}"] = len(body) // 2

    with pytest.raises(CommandError, match=r"interrompu .* la prochaine exécution reprendra"):
        download()

    part = local(ESTABLISHMENTS + ".part", settings)
    assert part.stat().st_size == len(body) // 2
    assert not local(ESTABLISHMENTS, settings).exists()
    assert (Actor.objects.count(), ImportRun.objects.count()) == (0, 0)

    download()

    resumed = site.asked(ESTABLISHMENTS)[-1]
    assert resumed["Range"] == f"bytes={len(body) // 2}-"
    assert resumed["If-Range"]
    assert local(ESTABLISHMENTS, settings).read_bytes() == body
    assert not part.exists()
    assert Actor.objects.count() == 12


def test_a_dropped_connection_is_resumed_within_the_run(site, months, settings):
    settings.SIRENE_DOWNLOAD_ATTEMPTS = 3
    site.serve_month(months[0])
    body = (months[0] / UNITS).read_bytes()
    site.drop_after[f"/insee-sirene/{UNITS}"] = len(body) // 3

    download(verbosity=0)

    ranges = [headers.get("Range") for headers in site.asked(UNITS)]
    assert ranges == [None, f"bytes={len(body) // 3}-"]
    assert local(UNITS, settings).read_bytes() == body
    assert Actor.objects.count() == 12


def test_unchanged_files_an_import_never_finished_are_imported(site, months, monkeypatch):
    site.serve_month(months[0])
    from actors.sirene.writer import SireneWriter

    def killed(self, batch):
        raise SystemExit("killed")

    monkeypatch.setattr(SireneWriter, "write_batch", killed)
    with pytest.raises(SystemExit):
        download()
    monkeypatch.undo()

    out, _err = download()

    assert "inchangé (à jour)" in out
    assert "Import SIRENE terminé" in out
    assert Actor.objects.count() == 12
    assert not ImportRun.objects.filter(completed_at=None, repaired_by=None).exists()


@pytest.mark.parametrize(
    "answer",
    ["html", "truncated", "not-a-stock"],
)
def test_a_bad_answer_is_refused_and_nothing_imported(site, months, settings, tmp_path, answer):
    site.serve_month(months[0])
    download()
    kept = local(ESTABLISHMENTS, settings).read_bytes()
    site.serve_month(months[1])
    path = f"/insee-sirene/{ESTABLISHMENTS}"
    if answer == "html":
        site.serve(
            path,
            b"<!DOCTYPE html><html><body>Maintenance</body></html>",
            content_type="text/html; charset=utf-8",
        )
        expected = "a répondu une page HTML au lieu de l'archive StockEtablissement_utf8.zip"
    elif answer == "truncated":
        body = (months[1] / ESTABLISHMENTS).read_bytes()
        site.serve(path, body[: len(body) // 2])
        expected = "archive zip tronquée ou corrompue"
    else:
        # A zip, but of the units: the header lacks the establishments' columns.
        site.serve(path, (months[1] / UNITS).read_bytes())
        expected = "colonnes manquantes"

    with pytest.raises(CommandError, match=expected) as caught:
        download()

    assert "Rien n'est importé" in str(caught.value) or "rien n'est importé" in str(caught.value)
    # The local copy stays, the bad answer is thrown away, nothing imported.
    assert local(ESTABLISHMENTS, settings).read_bytes() == kept
    assert not local(ESTABLISHMENTS + ".part", settings).exists()
    assert Actor.objects.count() == 12
    assert ImportRun.objects.count() == 1


def test_geolocation_is_downloaded_when_asked(site, months, settings, tmp_path):
    site.serve_month(months[0])
    siren = synthetic_siren(1)
    geolocation = tmp_path / GEOLOCATION_FILE
    write_geolocalisation(geolocation, [geolocation_row(siret(siren), "6.2", "48.7")])
    site.serve(f"/insee-sirene-geo/{GEOLOCATION_FILE}", geolocation.read_bytes())

    download("--geolocalisation", verbosity=0)

    assert local(GEOLOCATION_FILE, settings).exists()
    establishment = Actor.objects.get(siren=siren).establishments.get(siret=siret(siren))
    assert (establishment.latitude, establishment.longitude) == (48.7, 6.2)


def test_quiet_with_verbosity_zero(site, months):
    site.serve_month(months[0])

    _out, err = download(verbosity=0)

    assert err == ""


def test_download_replaces_the_file_arguments(site):
    with pytest.raises(CommandError, match="--download remplace"):
        download("--unites", "x.zip")
