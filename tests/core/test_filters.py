"""What each list's FilterSet holds of its own: its filters and its form's fields are copied
one level (core.filters), not deep, so a list must still never see another's."""

import django_filters
from django import forms

from core.filters import FastFormFilterSet
from territories.models import Territory

KINDS = [("commune", "Commune"), ("departement", "Département")]


class KindForm(forms.Form):
    # Declared on the form class itself: every form of the class has it.
    note = forms.CharField(required=False)


class KindFilterSet(FastFormFilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    kind = django_filters.ChoiceFilter(choices=KINDS, empty_label="Tous")
    code = django_filters.CharFilter(method="filter_code")

    class Meta:
        model = Territory
        fields = ["name", "kind", "code"]
        form = KindForm

    def filter_code(self, queryset, name, value):
        self.called_with = value
        return queryset.filter(code=value)


def filterset(**data) -> KindFilterSet:
    return KindFilterSet(data=data, queryset=Territory.objects.none())


def test_each_filterset_has_its_own_filters_and_each_filter_its_own_field():
    # A class's filter whose field was built (as the API's description reads them).
    built = KindFilterSet.base_filters["kind"].field
    first, second = filterset(kind="commune"), filterset(kind="departement")

    assert first.filters["kind"].field is not built

    for name in ("name", "kind", "code"):
        assert first.filters[name] is not KindFilterSet.base_filters[name]
        assert first.filters[name] is not second.filters[name]
        assert first.filters[name].parent is first
        assert second.filters[name].parent is second
        assert first.filters[name].field is not second.filters[name].field
    assert first.form.fields["kind"] is not second.form.fields["kind"]
    assert first.form.fields["note"] is not second.form.fields["note"]
    assert first.form.fields["note"] is not KindForm.base_fields["note"]


def test_what_one_list_changes_in_its_form_no_other_list_sees():
    first = filterset(kind="commune")
    first.form.fields["kind"].widget.attrs["data-changed"] = "1"
    first.form.fields["name"].label = "Changed"
    first.form.fields["note"].widget.attrs["data-changed"] = "1"

    second = filterset(kind="departement")

    assert "data-changed" not in second.form.fields["kind"].widget.attrs
    assert "data-changed" not in second.form.fields["note"].widget.attrs
    assert second.form.fields["name"].label == "Nom contient"
    assert second.form.is_valid()
    assert second.form.cleaned_data == {"note": "", "name": "", "kind": "departement", "code": ""}
    assert 'value="departement" selected' in str(second.form["kind"])
    assert 'value="commune" selected' not in str(second.form["kind"])


class CodeFilterSet(KindFilterSet):
    class Meta(KindFilterSet.Meta):
        form = forms.Form


def test_a_filter_by_method_calls_its_own_filtersets_method():
    first = CodeFilterSet(data={"code": "54"}, queryset=Territory.objects.none())
    second = CodeFilterSet(data={"code": "57"}, queryset=Territory.objects.none())

    list(first.qs), list(second.qs)

    assert (first.called_with, second.called_with) == ("54", "57")
