"""The filter forms' inputs are built in Python (core.widgets.render_input): byte for byte
what Django's input.html gives, whatever the widget, value and attributes."""

import datetime

import pytest
from django import forms
from django.forms.renderers import get_default_renderer

from actors.filters import ActorFilterSet
from actors.models import Actor
from core.widgets import INPUT_TEMPLATES, SearchInput, render_input
from territories.filters import TerritoryInput
from tests.factories import ThemeFactory

CASES = [
    (forms.TextInput(attrs={"maxlength": 120, "placeholder": 'a "b" <c>'}), 'Coop "x" & <y>'),
    (SearchInput(attrs={"autocomplete": "off"}), "économie"),
    (forms.HiddenInput(), "1,2,3,4"),
    (forms.HiddenInput(), None),
    (forms.CheckboxInput(), True),
    (forms.CheckboxInput(), False),
    (forms.DateInput(), datetime.date(2026, 12, 2)),
    (forms.DateInput(attrs={"type": "date"}), "2026-12-02"),
    (TerritoryInput(), "Toul"),
    (forms.NumberInput(attrs={"min": 0, "step": "any"}), 3),
    (forms.EmailInput(attrs={"required": True, "disabled": False}), "a@b.fr"),
]


@pytest.mark.parametrize(("widget", "value"), CASES)
@pytest.mark.parametrize("attrs", [None, {"id": "id_x", "aria-describedby": "x_error"}])
def test_an_input_renders_as_its_template_does(widget, value, attrs):
    assert widget.template_name in INPUT_TEMPLATES
    expected = widget.render("x", value, attrs, renderer=get_default_renderer())

    assert render_input(widget, "x", value, attrs) == expected


@pytest.mark.django_db
def test_a_list_filter_form_renders_its_inputs_in_python(rf):
    request = rf.get("/acteurs/", {"q": "<b>coop</b>", "territoire": "", "forme": 'SA "x"'})
    form = ActorFilterSet(request.GET, queryset=Actor.objects.none(), request=request).form

    assert form.fields["q"].widget.render.func is render_input
    assert str(form["q"]) == (
        '<input type="text" name="q" value="&lt;b&gt;coop&lt;/b&gt;" maxlength="200" id="id_q">'
    )
    assert str(form["forme"]) == (
        '<input type="text" name="forme" value="SA &#34;x&#34;" maxlength="120" id="id_forme">'
    )


@pytest.mark.django_db
def test_a_select_of_database_options_marks_the_visitors_choice_and_escapes_labels(rf):
    ThemeFactory(name='Climat "&" <énergie>', slug="climat-energie")
    ThemeFactory(name="Culture", slug="culture")

    def rendered(query):
        request = rf.get("/acteurs/", query)
        form = ActorFilterSet(request.GET, queryset=Actor.objects.none(), request=request).form
        return str(form["theme"])

    # The options' markup is kept between pages (core.filters): the choice of one visitor
    # is never kept with it.
    first, second, none = (
        rendered({"theme": "climat-energie"}),
        rendered({"theme": "culture"}),
        rendered({}),
    )

    climat = '<option value="climat-energie"{}>Climat &quot;&amp;&quot; &lt;énergie&gt;</option>'
    culture = '<option value="culture"{}>Culture</option>'
    assert climat.format(" selected") in first and culture.format("") in first
    assert climat.format("") in second and culture.format(" selected") in second
    assert '<option value="" selected>Tous</option>' in none
    assert climat.format("") in none and culture.format("") in none
