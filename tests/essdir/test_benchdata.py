import io

import pytest
from django.core.management import CommandError, call_command

from actors.models import Actor
from events.models import Event
from territories.models import Scheme
from tests.factories import ActorFactory

pytestmark = pytest.mark.django_db


def generate(*args):
    call_command(
        "generate_bench_data",
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
        call_command("generate_bench_data", f"--actors={value}", stdout=io.StringIO())
