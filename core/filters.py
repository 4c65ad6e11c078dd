"""Filters every list shares, whatever it lists."""

import copy
import functools

import django_filters
from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.choices import BaseChoiceIterator
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from core.caching import content_version, memoize_by_content
from core.widgets import INPUT_TEMPLATES, FastSelect, render_input, render_options

# The code of a validation error that asks the visitor to choose among candidates: the
# page answers 200 with the choices rather than 400.
AMBIGUOUS = "ambiguous"


class SearchFilter(django_filters.CharFilter):
    """Free text, through the queryset's `search()`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", _("Mots-clés"))
        kwargs.setdefault("max_length", settings.QUERY_MAX_LENGTH)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value or not value.strip():
            return qs
        return qs.search(value)


class _FiltersOfTheClass(dict):
    """A FilterSet class's filters, which each FilterSet copies (django-filter deep-copies
    them): each filter copied alone, what it holds shared (its arguments, its choices,
    its queryset), as none of them changes per list; the field it builds and the method it
    calls (`method=`) are its copy's own.
    (The deep copy walked every choice and every lazy label: half a millisecond a list.)"""

    def __deepcopy__(self, memo):
        copies = {}
        for name, filter_ in self.items():
            copied = copies[name] = copy.copy(filter_)
            copied.__dict__.pop("_field", None)
            if filter_.method is not None:
                # Its FilterMethod finds the method on the filter's FilterSet: the copy's.
                copied.method = filter_.method
        return copies


class _FieldsOfOneForm(dict):
    """The fields of a filter form's class, which django-filter builds for one FilterSet
    (from its own filters' fields) and whose one form takes them as they are: Django's form
    deep-copies its class's fields for each form, so that forms of one class never share
    them, and there is one form of this class."""

    def __deepcopy__(self, memo):
        return dict(self)


class FastFormFilterSet(django_filters.FilterSet):
    """A FilterSet whose selects render without a template per option (see FastSelect), and
    whose options from the database (themes, collectivités…) are read once per content
    version rather than on every page: they change only when the directory does.

    `option_tags` names the page-cache tags (core.caching) of what the options read; every
    family when None. A list page that narrows its own tags includes these.
    """

    option_tags: tuple[str, ...] | None = None

    @classmethod
    def get_filters(cls):
        return _FiltersOfTheClass(super().get_filters())

    def get_form_class(self):
        form_class = super().get_form_class()
        # Fields declared on the form class itself (Meta.form) are every form's: copied.
        declared = self._meta.form.base_fields
        form_class.base_fields = _FieldsOfOneForm(
            (name, copy.deepcopy(field) if name in declared else field)
            for name, field in form_class.base_fields.items()
        )
        return form_class

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            for name, field in form.fields.items():
                if field.widget.template_name in INPUT_TEMPLATES:
                    # Built in Python (core.widgets.render_input), the template's markup.
                    field.widget.render = functools.partial(render_input, field.widget)
                    continue
                if type(field.widget) is not forms.Select:
                    continue
                choices = field.choices
                if isinstance(field, forms.ModelChoiceField):
                    choices = _MemoizedOptions(self, name, field)
                field.widget = FastSelect(attrs=field.widget.attrs, choices=choices)
        return self._form

    @cached_property
    def active_count(self) -> int:
        """How many filters the visitor set, read from the form's bound data ("Filtrer (2
        actifs)"): a field counts unless blank, unticked or its default (the first choice
        of a select that has no empty one, such as the events' period); the order of the
        list is not a filter."""
        if not self.is_bound:
            return 0
        count = 0
        for name, field in self.form.fields.items():
            if isinstance(self.filters.get(name), django_filters.OrderingFilter):
                continue
            value = self.form[name].data
            if isinstance(value, str):
                value = value.strip()
            if not value:
                continue
            if isinstance(field, forms.ChoiceField) and not isinstance(
                field, forms.ModelChoiceField
            ):
                first = next(iter(field.choices), None)
                if first is not None and first[0] not in ("", None) and value == first[0]:
                    continue
            count += 1
        return count

    @cached_property
    def content_version(self) -> str | None:
        """The content version of what the options read, once for all the form's lists."""
        return content_version(self.option_tags)


class _MemoizedOptions(BaseChoiceIterator):
    """The options of a model choice field, read when the form renders (a page that only
    validates the filters reads none), as plain strings kept per content version."""

    def __init__(self, filterset: FastFormFilterSet, name: str, field: forms.ModelChoiceField):
        self.filterset, self.name, self.field = filterset, name, field

    def __iter__(self):
        key = (type(self.filterset), self.name, translation.get_language())
        options = memoize_by_content(key, self._build, self.filterset.content_version)
        return iter(options)

    def rendered(self) -> list[tuple[str, str, str]]:
        """The options' markup (core.widgets.render_options), kept like the options."""
        key = (type(self.filterset), self.name, translation.get_language(), "markup")
        return memoize_by_content(
            key, lambda: render_options(iter(self)), self.filterset.content_version
        )

    def _build(self) -> list[tuple[str, str]]:
        return [(str(value), str(label)) for value, label in self.field.choices]
