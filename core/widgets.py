"""Form widgets rendered in Python: the filter forms of every list page render fast."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import mark_safe


class FastSelect(forms.Select):
    """A <select> with the same markup as Django's, without a template per <option>.

    Django renders each option through the template engine, which dominated the list pages'
    time with a hundred options (collectivités, départements).
    """

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(v) for v in self.format_value(value)}
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        # Plain string building with escape(): format_html() per option cost more than the
        # rest of a list page's filters.
        options = []
        for option_value, label in self._flat_choices():
            option_value = str(option_value)
            mark = " selected" if option_value in selected else ""
            options.append(f'<option value="{escape(option_value)}"{mark}>{escape(label)}</option>')
        return mark_safe(f"<select{flatatt(final_attrs)}>{''.join(options)}</select>")

    def _flat_choices(self):
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):
                yield from label
            else:
                yield ("" if option_value is None else option_value), label


class SearchInput(forms.TextInput):
    input_type = "search"
