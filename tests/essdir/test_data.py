"""The reusers' page and its DCAT catalogue."""

import csv
import datetime
import gzip
import html
import io
import re

import pytest

from essdir.data import DATASETS
from essdir.downloads import build_downloads
from tests.factories import EventFactory, SchemeFactory
from tests.responses import close_quietly

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def downloads_root(settings, tmp_path):
    """No national file unless a test builds it, in a folder of its own."""
    settings.DOWNLOADS_ROOT = tmp_path / "downloads"
    return settings.DOWNLOADS_ROOT


def section(page: str, slug: str) -> str:
    return re.search(rf'<section [^>]*id="{slug}">(.*?)</section>', page, re.S).group(1)


def number(text: str) -> int:
    return int(re.sub(r"\D", "", text))


def shown_counts(page: str, slug: str) -> tuple[int, list[int]]:
    """The dataset's row count on /donnees/, and its parts' ("dont 3 à venir")."""
    rows = re.search(r'<dd class="rows">(.*?)</dd>', section(page, slug), re.S).group(1)
    total, *parts = rows.split(", dont ")
    return number(total), [number(part) for part in parts]


def live_csv_links(page: str, slug: str) -> list[str]:
    exports = re.search(r'<dd class="live-exports">(.*?)</dd>', section(page, slug), re.S)
    return [
        html.unescape(href)
        for href in re.findall(r'href="([^"]+)"', exports.group(1))
        if ".csv" in href
    ]


def csv_rows(text: str) -> int:
    return len(list(csv.DictReader(io.StringIO(text))))


def test_data_page_lists_every_dataset_with_schema_licence_size_and_downloads(client):
    SchemeFactory.create_batch(2)

    response = client.get("/donnees/")

    text = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "dispositif-aide 0.2.0" in text
    assert "collectivites 0.1.0" in text
    assert "Licence Ouverte 2.0 (Etalab)" in text
    assert 'href="/dispositifs/export.csv"' in text
    schemes = next(f for f in response.context["datasets"] if f["dataset"].slug == "dispositifs")
    assert schemes["count"] == 2


def test_english_data_page_describes_the_datasets_in_english(client):
    response = client.get("/en/donnees/")

    page = html.unescape(response.content.decode())
    titles = re.findall(r'<h2 id="dataset-[a-z]+">([^<]+)</h2>', page)
    assert response.status_code == 200
    assert titles[:4] == [
        "Organisations of the social and solidarity economy",
        "Local authorities' support schemes for the SSE",
        "Local authorities committed to the SSE",
        "SSE events in the territories",
    ]
    assert (
        "<p>Forums, business meetings, conferences and gatherings of the social and solidarity "
        "economy: the whole calendar, past and upcoming (the site's list and its export show "
        "upcoming events by default).</p>"
    ) in page
    assert (
        '<dt>Licence</dt><dd><a href="https://www.etalab.gouv.fr/licence-ouverte-open-licence/">'
        "Open Licence 2.0 (Etalab); SIRENE facts: INSEE's terms</a></dd>"
    ) in page
    assert ">OpenAgenda's fields (no national schema)</a>" in page
    # The exports are French data, at their unprefixed addresses.
    assert '<a href="/dispositifs/export.csv" download>CSV</a>' in page
    assert "Licence Ouverte" not in page


def test_english_catalogue_stays_french(client):
    english = client.get("/en/donnees/catalogue.jsonld").json()
    french = client.get("/donnees/catalogue.jsonld").json()

    assert english["dcat:dataset"] == french["dcat:dataset"]
    assert english["dcat:dataset"][0]["dct:title"] == (
        "Structures de l'économie sociale et solidaire"
    )


def test_catalogue_is_dcat_json_ld(client):
    SchemeFactory()

    response = client.get("/donnees/catalogue.jsonld")

    catalogue = response.json()
    assert response["Content-Type"] == "application/ld+json; charset=utf-8"
    assert catalogue["@type"] == "dcat:Catalog"
    identifiers = [d["dct:identifier"] for d in catalogue["dcat:dataset"]]
    assert identifiers == [
        "essdir-acteurs",
        "essdir-dispositifs",
        "essdir-collectivites",
        "essdir-evenements",
        "essdir-accompagnement",
        "essdir-accompagnement-structures",
        "essdir-subventions",
    ]
    distribution = catalogue["dcat:dataset"][1]["dcat:distribution"][0]
    assert distribution["dcat:downloadURL"]["@id"] == "https://testserver/dispositifs/export.csv"
    assert distribution["dct:license"]["@id"] == (
        "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    )


def test_each_count_shown_is_the_number_of_rows_of_its_download(client, seed, time_machine):
    time_machine.move_to(datetime.datetime(2026, 6, 1, 10, tzinfo=datetime.UTC))
    EventFactory(title="Plus tard", start_date=datetime.date(2026, 9, 1))

    page = html.unescape(client.get("/donnees/").content.decode())

    for dataset in DATASETS:
        total, parts = shown_counts(page, dataset.slug)
        everything, *part_links = live_csv_links(page, dataset.slug)
        streamed = b"".join(client.get(everything).streaming_content).decode()
        assert csv_rows(streamed) == total, dataset.slug
        assert len(parts) == len(part_links) == len(dataset.parts)
        for count, link in zip(parts, part_links, strict=True):
            part = b"".join(client.get(link).streaming_content).decode()
            assert csv_rows(part) == count, link
    # The agenda: every event (the default export gives the upcoming ones), one link away.
    total, (upcoming,) = shown_counts(page, "evenements")
    assert total == 45
    assert 0 < upcoming < total
    assert live_csv_links(page, "evenements")[0] == "/evenements/export.csv?periode=tous"
    assert f"{total}, dont {upcoming} à venir" in page
    assert "pas encore générés" in section(page, "acteurs")


def test_each_national_file_holds_the_rows_shown(client, seed, downloads_root):
    build_downloads()

    page = html.unescape(client.get("/donnees/").content.decode())

    for dataset in DATASETS:
        total, _parts = shown_counts(page, dataset.slug)
        files = section(page, dataset.slug)
        built = re.search(r"générés le [^,]+, [^,]+, (\S+) lignes", files)
        assert number(built.group(1)) == total, dataset.slug
        for file_format in ("csv", "json"):
            path = f"/donnees/telechargements/{dataset.slug}.{file_format}.gz"
            assert f'href="{path}"' in files
            response = client.get(path)
            content = gzip.decompress(b"".join(response.streaming_content)).decode()
            close_quietly(response)
            if file_format == "csv":
                assert csv_rows(content) == total, dataset.slug


def test_the_national_files_are_listed_with_date_size_and_checksum(client, downloads_root):
    SchemeFactory.create_batch(3)
    (csv_file, json_file) = build_downloads(datasets=["dispositifs"])

    page = html.unescape(client.get("/donnees/").content.decode())
    english = html.unescape(client.get("/en/donnees/").content.decode())

    schemes = section(page, "dispositifs")
    assert "générés le" in schemes
    assert ", 3 lignes" in schemes
    assert re.search(r"CSV \(gzip\)</a>, [\d,]+\s(octets|Kio|Mio)", schemes)
    assert csv_file.sha256[:16] in schemes and json_file.sha256[48:] in schemes
    assert "pas encore générés" in section(page, "acteurs")
    assert "not built yet" in section(english, "acteurs")


def test_an_export_too_large_to_stream_is_not_offered_live(client, settings):
    settings.EXPORT_STREAM_MAX_ROWS = 2
    SchemeFactory.create_batch(3)

    page = html.unescape(client.get("/donnees/").content.decode())

    assert live_csv_links(page, "dispositifs") == []
    assert "plus de 2 lignes, trop pour un export en direct" in section(page, "dispositifs")
    assert live_csv_links(page, "evenements")[0] == "/evenements/export.csv?periode=tous"


def test_the_catalogue_names_the_national_files_with_size_and_checksum(client):
    SchemeFactory()
    (csv_file, _json_file) = build_downloads(datasets=["dispositifs"])

    catalogue = client.get("/donnees/catalogue.jsonld").json()

    schemes = catalogue["dcat:dataset"][1]["dcat:distribution"]
    national = schemes[0]
    assert national["dcat:downloadURL"]["@id"] == (
        "https://testserver/donnees/telechargements/dispositifs.csv.gz"
    )
    assert national["dcat:byteSize"] == csv_file.bytes
    assert national["spdx:checksum"]["spdx:checksumValue"] == csv_file.sha256
    assert national["dcat:compressFormat"] == "application/gzip"
    assert schemes[2]["dcat:downloadURL"]["@id"] == "https://testserver/dispositifs/export.csv"
    events = catalogue["dcat:dataset"][3]["dcat:distribution"]
    assert events[0]["dcat:downloadURL"]["@id"] == (
        "https://testserver/evenements/export.csv?periode=tous"
    )


def test_the_counts_are_kept_until_the_directory_changes(
    client, django_capture_on_commit_callbacks
):
    from actors.models import Actor
    from tests.factories import ActorFactory

    def actors_facts():
        response = client.get("/donnees/")
        return next(f for f in response.context["datasets"] if f["dataset"].slug == "acteurs")

    before = actors_facts()
    assert before["count"] == Actor.objects.published().count()

    with django_capture_on_commit_callbacks(execute=True):
        added = ActorFactory(name="Nouvelle structure")

    after = actors_facts()
    assert after["count"] == before["count"] + 1
    assert after["updated_at"] == added.updated_at
