import datetime

import pytest
from django.template import engines
from django.utils import translation

from core import routing
from essdir.templating import regroup_by_date


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        # 22:10 UTC on 23 August is 00:10 on the 24th in Paris (summer time, UTC+2).
        (datetime.datetime(2026, 8, 23, 22, 10, tzinfo=datetime.UTC), "24 août 2026"),
        # 22:10 UTC on 23 December is 23:10 the same day in Paris (winter time, UTC+1).
        (datetime.datetime(2026, 12, 23, 22, 10, tzinfo=datetime.UTC), "23 décembre 2026"),
        (datetime.date(2026, 8, 23), "23 août 2026"),
    ],
)
def test_the_date_filter_dates_a_moment_in_the_site_time_zone(moment, shown):
    template = engines["jinja2"].from_string('{{ moment|date("j F Y") }}')
    with translation.override("fr"):
        assert template.render({"moment": moment}) == shown


def test_a_day_and_a_time_are_written_in_each_pages_language_whatever_was_written_before():
    dated = engines["jinja2"].from_string('{{ day|date("l j F Y") }}, {{ moment|clock }}')
    printed = engines["jinja2"].from_string("{{ day }}")
    context = {"day": datetime.date(2026, 12, 5), "moment": datetime.time(14, 30)}

    shown = []
    for language in ("fr", "en", "fr", "en"):
        with translation.override(language):
            shown.append((dated.render(context), printed.render(context)))

    french = ("samedi 5 décembre 2026, 14h30", "5 décembre 2026")
    english = ("Saturday 5 December 2026, 14:30", "Dec. 5, 2026")
    assert shown == [french, english, french, english]


class Dated:
    def __init__(self, day):
        self.day = day


DAYS = [
    datetime.date(2026, 12, 3),
    datetime.date(2026, 12, 20),
    datetime.date(2027, 1, 5),
    datetime.date(2027, 1, 5),
    None,
]


@pytest.mark.parametrize(
    ("date_format", "groups"),
    [
        # Formatted once a month: the days of a month share their label.
        ("F Y", [("décembre 2026", 2), ("janvier 2027", 2), ("", 1)]),
        # A format reading the day keeps each day apart.
        (
            "j F Y",
            [("3 décembre 2026", 1), ("20 décembre 2026", 1), ("5 janvier 2027", 2), ("", 1)],
        ),
        # An escaped letter is written as it is, and the day read by "d" still counts.
        ("\\L\\e d/m", [("Le 03/12", 1), ("Le 20/12", 1), ("Le 05/01", 2), ("", 1)]),
    ],
)
def test_regroup_by_date_groups_runs_under_their_formatted_date(date_format, groups):
    with translation.override("fr"):
        found = regroup_by_date([Dated(day) for day in DAYS], "day", date_format)

    assert [(group.grouper, len(group.list)) for group in found] == groups


@pytest.mark.parametrize("with_language", [True, False])
def test_a_message_kept_translated_follows_the_language_of_each_rendering(with_language):
    # Pages carry LANGUAGE_CODE (the i18n context processor); e-mails rendered without a
    # request do not: both follow the active language.
    template = engines["jinja2"].from_string('{{ _("Filtrer") }}|{% trans %}Filtrer{% endtrans %}')
    shown = []
    for language in ["fr", "en", "fr", "en"]:
        with translation.override(language):
            context = {"LANGUAGE_CODE": language} if with_language else {}
            shown.append(template.render(context))

    assert shown == ["Filtrer|Filtrer", "Filter|Filter", "Filtrer|Filtrer", "Filter|Filter"]


def test_a_message_with_variables_is_translated_with_each_rendering_values():
    template = engines["jinja2"].from_string(
        "{% trans name=name %}Structures que l'annuaire publie : {{ name }}{% endtrans %}"
    )
    with translation.override("en"):
        first = template.render({"name": "Nord", "LANGUAGE_CODE": "en"})
        second = template.render({"name": "<b>Metz</b>", "LANGUAGE_CODE": "en"})

    assert first == "Structures the directory publishes: Nord"
    assert second == "Structures the directory publishes: &lt;b&gt;Metz&lt;/b&gt;"


GROUPED = [0, 7, -7, 999, 1000, -1000, 12345, 1234567, -9876543210, 10**15]


@pytest.mark.parametrize(
    ("language", "shown"), [("fr", "1\u00a0234\u00a0567"), ("en", "1,234,567")]
)
def test_intcomma_groups_an_integer_s_digits_as_django_s_does(language, shown):
    from decimal import Decimal

    from django.contrib.humanize.templatetags.humanize import intcomma

    from essdir.templating import grouped

    template = engines["jinja2"].from_string("{{ value|intcomma }}")
    others = [Decimal("1234.5"), 1234.5, "12345", "douze", None, True]
    with translation.override(language):
        assert template.render({"value": 1234567}) == shown
        assert [grouped(value) for value in GROUPED + others] == [
            intcomma(value) for value in GROUPED + others
        ]


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("fr", "/recherche/||12\u00a0345|Lorraine"),
        ("en", '/en/recherche/| lang="fr"|12,345|<span lang="fr">Lorraine</span>'),
    ],
)
def test_the_language_helpers_follow_the_page_s_language(rf, language, shown):
    # Read once from the context (the i18n processor's LANGUAGE_CODE), or, where no
    # processor ran (an e-mail), from the active language.
    template = engines["jinja2"].from_string(
        "{{ url('site:search') }}|{{ source_lang() }}|{{ 12345|intcomma }}"
        "|{% filter french %}Lorraine{% endfilter %}"
    )
    with translation.override(language):
        assert template.render({}, request=rf.get("/")) == shown
        assert template.render({}) == shown
    # A context saying another language than the active one: the page's wins, and the
    # path kept for it is its own (core.routing), whichever language is active.
    routing._reverse.cache_clear()
    with translation.override("en" if language == "fr" else "fr"):
        assert template.render({"LANGUAGE_CODE": language}) == shown
    with translation.override(language):
        assert template.render({}) == shown
