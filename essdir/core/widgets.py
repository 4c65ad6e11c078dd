"""Form widgets rendered in Python: the filter forms of every list page render fast."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join


class FastSelect(forms.Select):
    """A <select> with the same markup as Django's, without a template per <option>.

    Django renders each option through the template engine, which dominated the list pages'
    time with a hundred options (collectivités, départements).
    """

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(v) for v in self.format_value(value)}
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option_value, " selected" if str(option_value) in selected else "", label)
                for option_value, label in self._flat_choices()
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)

    def _flat_choices(self):
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):
                yield from label
            else:
                yield ("" if option_value is None else option_value), label


class SearchInput(forms.TextInput):
    input_type = "search"
