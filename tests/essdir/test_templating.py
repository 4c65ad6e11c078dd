import datetime

import pytest
from django.template import engines
from django.utils import translation


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
