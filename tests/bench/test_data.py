import io

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from actors.models import Actor, Establishment, SireneState
from bench.management.commands.generate_bench_data import Command as GenerateBenchData
from events.models import Event
from territories.models import Scheme
from tests.factories import ActorFactory

pytestmark = pytest.mark.django_db


def generate(*args):
    call_command(
        GenerateBenchData(),
        "--actors=60",
        "--events=20",
        "--schemes=10",
        *args,
        stdout=io.StringIO(),
    )


def test_generates_the_requested_dataset_over_real_communes(seed):
    generate()

    generated = Actor.objects.filter(slug__startswith="gen-")
    assert generated.count() == 60
    assert set(generated.values_list("territory__kind", flat=True)) == {"commune"}
    assert Event.objects.filter(slug__startswith="gen-").count() == 20
    assert Scheme.objects.filter(slug__startswith="gen-").count() == 10
    assert Actor.objects.exclude(slug__startswith="gen-").count() == 54


def test_running_twice_replaces_the_generated_records(seed):
    generate()
    generate()

    assert Actor.objects.filter(slug__startswith="gen-").count() == 60


def test_refuses_a_database_with_other_records(seed):
    ActorFactory(name="Vraie structure")

    with pytest.raises(CommandError, match="1 actors"):
        generate()
    assert not Actor.objects.filter(slug__startswith="gen-").exists()


def test_force_runs_anyway(seed):
    ActorFactory(name="Vraie structure")

    generate("--force")

    assert Actor.objects.filter(name="Vraie structure").exists()
    assert Actor.objects.filter(slug__startswith="gen-").count() == 60


@pytest.mark.parametrize("value", ["-1", "abc", "99999999"])
def test_rejects_bad_sizes(value):
    with pytest.raises(CommandError):
        call_command(GenerateBenchData(), f"--actors={value}", stdout=io.StringIO())


# The benchmark data goes through the same import


def test_bench_data_builds_its_structures_through_the_sirene_import(seed):
    call_command(
        GenerateBenchData(), "--actors=40", "--events=5", "--schemes=5", stdout=io.StringIO()
    )

    generated = Actor.objects.filter(slug__startswith="gen-")
    head_offices = Establishment.objects.filter(actor__in=generated, is_head_office=True)
    assert (
        generated.count(),
        generated.filter(sirene_state=SireneState.ACTIVE).count(),
        head_offices.count(),
        head_offices.exclude(commune=F("actor__territory")).count(),
        Actor.themes.through.objects.filter(actor__in=generated).count(),
    ) == (40, 40, 40, 0, 40)
    assert Establishment.objects.filter(actor__in=generated).count() >= 40
