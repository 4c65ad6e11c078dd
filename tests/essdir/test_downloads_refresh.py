"""The national files follow the data: a SIRENE import or the nightly refresh rebuilds them."""

import io

import pytest
from django.core.management import CommandError, call_command

from core.downloads import read_manifest
from core.signals import directory_refreshed
from essdir.data import DATASETS

pytestmark = pytest.mark.django_db


@pytest.fixture
def downloads(settings, tmp_path):
    settings.DOWNLOADS_ROOT = tmp_path
    settings.DOWNLOADS_AFTER_REFRESH = True
    return tmp_path


def test_the_nightly_refresh_rebuilds_the_national_files(seed, downloads):
    call_command("refresh_panoramas", stdout=io.StringIO())

    built = read_manifest()
    assert sorted((f.dataset, f.format) for f in built.values()) == sorted(
        (dataset.slug, file_format) for dataset in DATASETS for file_format in ("csv", "json")
    )
    assert all(f.path.exists() for f in built.values())


def test_the_refresh_can_leave_the_files_to_their_own_cron(seed, downloads, settings):
    settings.DOWNLOADS_AFTER_REFRESH = False

    call_command("refresh_panoramas", stdout=io.StringIO())

    assert not (downloads / "manifest.json").exists()


def test_a_failing_rebuild_is_reported_and_the_refresh_kept(seed, downloads):
    def broken(sender, **kwargs):
        raise OSError("disque plein")

    directory_refreshed.connect(broken, dispatch_uid="test_broken")
    try:
        with pytest.raises(CommandError, match=r"Données importées, mais : .*disque plein"):
            call_command("refresh_panoramas", stdout=io.StringIO())
    finally:
        directory_refreshed.disconnect(dispatch_uid="test_broken")

    assert (downloads / "manifest.json").exists()
