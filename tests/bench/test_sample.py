"""bench_sample: the URLs `make bench` computes from the database at each run (issue 24)."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from bench.management.commands.bench_sample import Command as BenchSample
from bench.sample import SAMPLE_PREFIX, TERRITORIES, WORDS
from territories.models import Territory, TerritoryKind
from tests.factories import ActorFactory

pytestmark = pytest.mark.django_db


def sample(*args) -> list[tuple[str, str, str]]:
    out = io.StringIO()
    call_command(BenchSample(), *args, stdout=out)
    rows = []
    for line in out.getvalue().splitlines():
        label, path, note = [*line.split("\t"), "", ""][:3]
        rows.append((label, path, note))
    return rows


def drawn(rows):
    return [row for row in rows if row[0].startswith(SAMPLE_PREFIX)]


def test_the_same_seed_draws_the_same_list(seed):
    assert sample("--seed", "20261202") == sample("--seed", "20261202")


def test_another_seed_draws_another_sample_and_the_same_computed_pages(seed):
    first, second = sample("--seed", "20261202"), sample("--seed", "20261203")

    assert drawn(first) != drawn(second)
    computed = [row for row in first if not row[0].startswith(SAMPLE_PREFIX)]
    assert computed == [row for row in second if not row[0].startswith(SAMPLE_PREFIX)]


def test_the_sample_is_bounded_and_labelled(seed):
    rows = sample("--seed", "20261202")

    territories = [r for r in drawn(rows) if " word " not in f" {r[0][len(SAMPLE_PREFIX) :]}"]
    words = [r for r in drawn(rows) if r[0].startswith(f"{SAMPLE_PREFIX}word ")]
    assert len(territories) == TERRITORIES
    assert 0 < len(words) <= WORDS
    assert len(rows) <= TERRITORIES + WORDS + 20
    assert len({label for label, _, _ in rows}) == len(rows)  # labels name the raw files
    assert all("\t" not in label and "|" not in label for label, _, _ in rows)
    # Every kind of territory is drawn, the small ones as well as the large.
    kinds = {r[0][len(SAMPLE_PREFIX) :].split(" ", 1)[0] for r in territories}
    assert {"region", "departement", "epci", "commune"} <= kinds


def test_sizes_are_options(seed):
    rows = sample("--seed", "1", "--territories", "5", "--words", "2")

    assert len(drawn(rows)) == 7
    with pytest.raises(CommandError):
        sample("--territories", "500")


def test_every_url_answers_200(seed, client):
    rows = sample("--seed", "20261202")

    failures = []
    for label, path, _ in rows:
        response = client.get(path)
        if response.status_code != 200:
            failures.append((label, path, response.status_code))
    assert failures == []


def test_the_largest_territories_are_computed_from_the_population(seed):
    def largest(kind):
        return (
            Territory.objects.filter(kind=kind)
            .order_by(F("population").desc(nulls_last=True), "code")
            .first()
        )

    departement = largest(TerritoryKind.DEPARTEMENT)
    # Its structures: two cooperatives and an association (the family of most of them).
    commune = Territory.objects.communes().inside(departement).order_by("code").first()
    for family in ("cooperative", "association", "cooperative"):
        ActorFactory(territory=commune, family=family)
    rows = {label: path for label, path, _ in sample("--seed", "1")}

    assert rows["largest departement: page"] == departement.get_absolute_url()
    assert rows["largest departement: acteurs"] == (
        f"/acteurs/?territoire={departement.short_slug}"
    )
    for kind in ("evenements", "dispositifs", "collectivites"):
        assert f"territoire={departement.short_slug}" in rows[f"largest departement: {kind}"]
    assert rows["largest departement: acteurs of a family"] == (
        f"/acteurs/?territoire={departement.short_slug}&famille=cooperative"
    )
    commune = largest(TerritoryKind.COMMUNE)
    assert rows["largest commune: page"] == commune.get_absolute_url()
    assert rows["largest commune: contacts"].startswith("/contacts/?q=")
    assert rows["common word fr: search"].startswith("/recherche/?q=")
    assert rows["common word en: search"].startswith("/en/recherche/?q=")

    # Another département grows past it: it is the largest now.
    other = Territory.objects.filter(kind=TerritoryKind.DEPARTEMENT).exclude(pk=departement.pk)[0]
    other.population = departement.population + 1
    other.save()
    rows = {label: path for label, path, _ in sample("--seed", "1")}
    assert rows["largest departement: page"] == other.get_absolute_url()


def test_resolve_gives_a_computed_label_its_path_on_this_database(seed, tmp_path):
    rows = {label: path for label, path, _ in sample("--seed", "7")}
    listed = tmp_path / "pages.tsv"
    listed.write_text(
        "largest departement: acteurs\t/acteurs/?territoire=departement-59\n"
        "acteurs territoire\t/acteurs/?territoire=departement-54\n"
    )

    resolved = sample("--seed", "7", "--resolve", str(listed))

    assert [(label, path) for label, path, _ in resolved] == [
        ("largest departement: acteurs", rows["largest departement: acteurs"]),
        ("acteurs territoire", "/acteurs/?territoire=departement-54"),
    ]
