"""Form widgets rendered in Python: the filter forms of every list page render fast."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape
from django.utils.safestring import mark_safe
from markupsafe import escape as _escape


class FastSelect(forms.Select):
    """A <select> with the same markup as Django's, without a template per <option>.

    Django renders each option through the template engine, which dominated the list pages'
    time with a hundred options (collectivités, départements).
    """

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(v) for v in self.format_value(value)}
        final_attrs = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        # Options read from the database come already escaped, kept with them per content
        # version (core.filters): escaping a few hundred labels was a tenth of a list page.
        rendered = getattr(self.choices, "rendered", None)
        options = rendered() if rendered is not None else render_options(self._flat_choices())
        markup = "".join(
            f"{head} selected{tail}" if option_value in selected else f"{head}{tail}"
            for option_value, head, tail in options
        )
        return mark_safe(f"<select{flatatt(final_attrs)}>{markup}</select>")

    def _flat_choices(self):
        for option_value, label in self.choices:
            if isinstance(label, list | tuple):
                yield from label
            else:
                yield ("" if option_value is None else option_value), label


def render_options(choices) -> list[tuple[str, str, str]]:
    """(value, markup before " selected", markup after) of each (value, label) of
    `choices`: plain string building with escape(), format_html() per option cost more than
    the rest of a list page's filters."""
    rendered = []
    for option_value, label in choices:
        option_value = str(option_value)
        rendered.append(
            (option_value, f'<option value="{escape(option_value)}"', f">{escape(label)}</option>")
        )
    return rendered


# The <input> widgets whose template is Django's input.html and nothing else.
INPUT_TEMPLATES = {
    f"django/forms/widgets/{kind}.html"
    for kind in (
        "text", "search", "hidden", "number", "email", "url", "tel", "password", "date",
        "datetime", "time", "color", "checkbox",
    )
}  # fmt: skip


def render_input(widget: forms.widgets.Input, name, value, attrs=None, renderer=None) -> str:
    """`widget` (an <input>: text, search, hidden, date, checkbox…) with the markup of
    Django's input.html, built in Python: the text boxes of a list's filters cost as much
    as its selects through the template engine."""
    context = widget.get_context(name, value, attrs)["widget"]
    # Escaped as Jinja2 escapes (markupsafe), so that the markup is the template's, byte
    # for byte.
    parts = [f'<input type="{_escape(context["type"])}" name="{_escape(context["name"])}"']
    if context["value"] is not None:
        parts.append(f' value="{_escape(context["value"])}"')
    for key, item in context["attrs"].items():
        if item is True:
            parts.append(f" {key}")
        elif item is not False:
            parts.append(f' {key}="{_escape(item)}"')
    parts.append(">")
    return mark_safe("".join(parts))


class SearchInput(forms.TextInput):
    input_type = "search"
