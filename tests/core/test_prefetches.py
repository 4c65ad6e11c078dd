import copy

import pytest
from django.db import connection
from django.db.models import Count, Value
from django.db.models.functions import Concat

from core.prefetches import KeptPrefetch, split_prefetches
from events.models import Event, EventParticipation, ParticipationRole
from territories.models import Collectivite, Scheme, Theme
from tests.factories import CollectiviteFactory, SchemeFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("count", [1, 3])
def test_a_many_to_many_prefetch_runs_kept_and_gives_each_record_its_own(
    count, django_assert_num_queries
):
    from core.prefetches import _LEVELS
    from tests.factories import ThemeFactory

    themes = [ThemeFactory(name=name) for name in ["Économie", "Culture", "Vie associative"]]
    schemes = [SchemeFactory(name=f"Prefetch {n}") for n in range(count)]
    for number, scheme in enumerate(schemes):
        scheme.themes.set(themes[: number + 1])

    listed = Scheme.objects.filter(name__startswith="Prefetch ").order_by("name")
    with django_assert_num_queries(2):  # the schemes, then every one's themes
        rows = list(listed.prefetch_related("themes"))
        names = [[theme.name for theme in scheme.themes.all()] for scheme in rows]

    # Each its own themes, in French dictionary order (Theme's own order), as Django gives.
    assert (
        names
        == [["Économie"], ["Culture", "Économie"], ["Culture", "Économie", "Vie associative"]][
            :count
        ]
    )
    assert _LEVELS[(Scheme, "themes", (), None)] is not None  # the kept way was taken


def test_a_path_through_a_relation_django_runs_is_left_to_django():
    # funders__collectivite goes through a forward foreign key, which is not kept: the
    # whole path goes to Django, with any other lookup through "funders".
    queryset = Scheme.objects.prefetch_related(
        "themes", "funders__collectivite", "funders", "sources"
    )
    kept, others = split_prefetches(queryset)
    assert [[(level.name, deeper) for level, deeper in tree.items()] for tree in kept] == [
        [("themes", {})],
        [("sources", {})],
    ]
    assert others == ("funders__collectivite", "funders")


def test_a_path_of_kept_relations_is_one_tree_filled_level_by_level():
    queryset = Collectivite.objects.prefetch_related("actions", "actions__themes", "key_figures")
    kept, others = split_prefetches(queryset)
    assert others == ()
    assert [
        [(level.name, [deeper.name for deeper in below]) for level, below in tree.items()]
        for tree in kept
    ] == [[("actions", ["themes"])], [("key_figures", [])]]


@pytest.mark.parametrize("count", [1, 3])
def test_a_reverse_foreign_key_path_runs_kept_and_points_back_to_its_record(
    count, django_assert_num_queries
):
    from core.prefetches import _LEVELS
    from territories.models import Action, KeyFigure
    from tests.factories import ThemeFactory

    economy, culture = ThemeFactory(name="Économie"), ThemeFactory(name="Culture")
    collectivites = [CollectiviteFactory(name=f"Prefetch {n}") for n in range(count)]
    for number, collectivite in enumerate(collectivites):
        for order in range(number + 1):
            action = Action.objects.create(
                collectivite=collectivite, title=f"Action {number}.{order}", order=order
            )
            action.themes.set([economy, culture][: order + 1])
        KeyFigure.objects.create(collectivite=collectivite, value=str(number), label="lieux")

    listed = Collectivite.objects.filter(name__startswith="Prefetch ").order_by("name")
    # The collectivités, their actions, the actions' themes, their key figures; PostgreSQL
    # receives the actions and key figures together (one level, one round trip).
    with django_assert_num_queries(3 if connection.vendor == "postgresql" else 4):
        rows = list(listed.prefetch_related("actions__themes", "key_figures"))
        seen = [
            (
                [
                    (action.title, [theme.name for theme in action.themes.all()])
                    for action in collectivite.actions.all()
                ],
                [figure.value for figure in collectivite.key_figures.all()],
                all(action.collectivite is collectivite for action in collectivite.actions.all()),
            )
            for collectivite in rows
        ]

    assert (
        seen
        == [
            ([("Action 0.0", ["Économie"])], ["0"], True),
            ([("Action 1.0", ["Économie"]), ("Action 1.1", ["Culture", "Économie"])], ["1"], True),
            (
                [
                    ("Action 2.0", ["Économie"]),
                    ("Action 2.1", ["Culture", "Économie"]),
                    ("Action 2.2", ["Culture", "Économie"]),
                ],
                ["2"],
                True,
            ),
        ][:count]
    )
    assert _LEVELS[(Collectivite, "actions", (), None)] is not None  # the kept way was taken
    # A further filter on the relation still asks the database, for this record only.
    assert [a.title for a in rows[-1].actions.filter(order__gte=1)] == [
        f"Action {count - 1}.{order}" for order in range(1, count)
    ]


def _organisers(role):
    return EventParticipation.objects.filter(role=role).select_related("collectivite")


@pytest.mark.parametrize("count", [1, 3])
def test_a_kept_prefetch_with_its_own_queryset_fills_its_attribute(
    count, django_assert_num_queries
):
    from tests.factories import EventFactory

    collectivites = [CollectiviteFactory(name=f"Organiser {n}") for n in range(3)]
    events = [EventFactory(title=f"Kept {n}") for n in range(count)]
    for number, event in enumerate(events):
        for collectivite in collectivites[: number + 1]:
            EventParticipation.objects.create(
                event=event, collectivite=collectivite, role=ParticipationRole.ORGANISER
            )
        # A partner: not an organiser, so not in the organisers' attribute.
        EventParticipation.objects.create(
            event=event, collectivite=collectivites[2], role=ParticipationRole.PARTNER
        )
    listed = Event.objects.filter(title__startswith="Kept ").order_by("title")
    prefetch = KeptPrefetch(
        "participations", _organisers, ParticipationRole.ORGANISER, to_attr="organisers"
    )

    with django_assert_num_queries(2):  # the events, then every one's organisers
        rows = list(listed.prefetch_related(prefetch))
        names = [sorted(link.collectivite.name for link in event.organisers) for event in rows]

    assert (
        names
        == [
            ["Organiser 0"],
            ["Organiser 0", "Organiser 1"],
            ["Organiser 0", "Organiser 1", "Organiser 2"],
        ][:count]
    )
    kept, others = split_prefetches(listed.prefetch_related(prefetch))
    assert (len(kept), others) == (1, ())


def test_a_kept_prefetch_takes_only_a_module_level_function():
    with pytest.raises(TypeError, match="module-level function"):
        KeptPrefetch("participations", lambda: EventParticipation.objects.all())


def test_a_sliced_queryset_is_left_to_django():
    prefetch = KeptPrefetch("participations", _first_participations)
    assert split_prefetches(Event.objects.prefetch_related(prefetch)) == ([], (prefetch,))


def _first_participations():
    return EventParticipation.objects.order_by("pk")[:3]


def test_given_records_behave_as_django_s_prefetched_queryset(django_assert_num_queries):
    import pickle

    from core.prefetches import GivenRecords
    from tests.factories import ThemeFactory

    economy, culture, other = (ThemeFactory(name=n) for n in ["Économie", "Culture", "Autre"])
    first, second = SchemeFactory(name="Prefetch A"), SchemeFactory(name="Prefetch B")
    first.themes.set([economy, culture])
    second.themes.set([other])
    listed = Scheme.objects.filter(name__startswith="Prefetch ").order_by("name")
    rows = list(listed.prefetch_related("themes"))
    given = rows[0].themes.all()
    assert isinstance(given, GivenRecords)  # the kept way was taken

    # Read from the records: no query.
    with django_assert_num_queries(0):
        assert [theme.name for theme in given] == ["Culture", "Économie"]
        assert (len(given), given.count(), given.exists(), bool(given)) == (2, 2, True, True)
        assert given[0].name == "Culture"
        assert rows[1].themes.all().count() == 1
    # Built on: the relation of this record only, as Django's would.
    assert [theme.name for theme in given.filter(name__startswith="É")] == ["Économie"]
    assert sorted(given.values_list("name", flat=True)) == ["Culture", "Économie"]
    assert list(given.order_by("-name").values_list("name", flat=True)) == ["Économie", "Culture"]
    assert [theme.name for theme in given.iterator()] == ["Culture", "Économie"]
    assert given.aggregate(n=Count("pk")) == {"n": 2}
    assert given.filter(name="Autre").count() == 0
    # Copied or pickled: Django's queryset of the relation, holding the records.
    for copied in (copy.deepcopy(given), pickle.loads(pickle.dumps(given))):
        assert type(copied) is not GivenRecords
        assert [theme.name for theme in copied.filter(name="Culture")] == ["Culture"]
    restored = pickle.loads(pickle.dumps(rows[0]))
    with django_assert_num_queries(0):
        assert [theme.name for theme in restored.themes.all()] == ["Culture", "Économie"]
    # A write on the relation's queryset touches this record's related rows only.
    assert given.update(name=Concat("name", Value(" (changed)"))) == 2
    assert sorted(Theme.objects.values_list("name", flat=True)) == [
        "Autre",
        "Culture (changed)",
        "Économie (changed)",
    ]
