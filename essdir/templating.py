"""The site's template engine: Jinja2, with the helpers the pages use.

Chosen by measurement (BENCHMARKS.md): the 20 actor cards of `/acteurs/` render in 0.57 ms
with Jinja2 against 1.61 ms with Django's engine, and templates were the largest share of an
uncached page. The site's templates (pages, partials, e-mails) live in `templates/`; the
admin needs Django's engine, which reads its overrides from `templates/django/`.

Differences from Django's engine that the templates follow:
- methods are called explicitly: `actor.get_absolute_url()`, `actor.themes.all()`;
- an `{% include %}` sees the page's variables (Jinja2 has no `only`); a `{% with %}`
  around it names those the partial calls differently;
- numbers, dates and times are localised on output, as Django's engine does (`_finalize`).
"""

from __future__ import annotations

import datetime
import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import jinja2
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.forms import renderers as forms_renderers
from django.forms.renderers import BaseRenderer
from django.template import TemplateDoesNotExist, defaultfilters
from django.template.backends import jinja2 as django_jinja2
from django.template.defaulttags import querystring as _querystring
from django.templatetags.l10n import unlocalize
from django.templatetags.static import static
from django.test.signals import template_rendered
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.formats import localize
from django.utils.safestring import SafeString
from markupsafe import Markup

from core.routing import reverse_in
from core.text import euros
from essdir import languages, legal, presentation

_LOCALISED = (float, Decimal, datetime.date, datetime.time)
# What most printed values are, printed as they are: tested first, by their exact type (a
# page prints thousands of values).
_PRINTED_AS_IS = frozenset({str, Markup, SafeString, int})


def _finalize(value: Any) -> Any:
    if type(value) in _PRINTED_AS_IS:
        return value
    # Django's engine localises what it prints (1,5 and 29/11/2026 in French); so do we.
    if type(value) is datetime.date:
        return _day_text(value, None, translation.get_language())
    if isinstance(value, _LOCALISED):
        return localize(value)
    if callable(value) and not isinstance(value, (str, jinja2.Undefined)):
        # Django's engine calls methods for you; Jinja2 would print "<bound method …>".
        raise TypeError(f"a template printed the callable {value!r}: call it with ()")
    return value


def _language(context) -> str:
    # The page's language, as the i18n context processor read it when the rendering began
    # (what translation.get_language() would say, without reading its context-local again:
    # a page asks a few hundred times); the active one where no processor ran (e-mails).
    return context.get("LANGUAGE_CODE") or translation.get_language()


@jinja2.pass_context
def url(context, name: str, *args: Any, **kwargs: Any) -> str:
    """`{% url %}`: the path of a named route, in the page's language."""
    return reverse_in(_language(context), name, *args, **kwargs)


@jinja2.pass_context
def source_lang(context) -> str:
    """languages.source_lang() in the page's language."""
    return languages.source_lang(_language(context))


@jinja2.pass_context
def french(context, content: str) -> str:
    """languages.french() in the page's language."""
    return languages.french(content, _language(context))


def url_fr(name: str, *args: Any, **kwargs: Any) -> str:
    """The French (unprefixed) path of a route: feeds and exports are French data."""
    with translation.override(settings.LANGUAGE_CODE):
        return reverse(name, args=args or None, kwargs=kwargs or None)


@jinja2.pass_context
def querystring(context, params=None, **changes: Any) -> str:
    """`{% querystring params key=value %}`: `params` (by default the request's query) with
    these keys changed (None drops one)."""
    if params is None:
        params = context["request"].GET
    return _querystring(None, params, **changes)


def default(value: Any, fallback: Any) -> Any:
    """Django's `default`: the fallback when the value is false (Jinja2's only when undefined)."""
    return value or fallback


@dataclass(frozen=True)
class Group:
    grouper: str
    list: list


# The format characters of Django's `date` filter that read only a date's month and year.
_MONTH_AND_YEAR = frozenset("bEFLmMnNYy")


def regroup_by_date(items, attribute: str, date_format: str) -> list[Group]:
    """`{% regroup items by attribute|date:format %}`: runs of consecutive items sharing the
    formatted date (for the agenda's months, in the list's own order).

    Each label is formatted once: once a month where the format reads only the month and
    the year (the agenda's "F Y"), rather than once an item."""
    by_month = "\\" not in date_format and all(
        character in _MONTH_AND_YEAR for character in date_format if character.isalpha()
    )
    labels: dict = {}

    def label(item) -> str:
        value = getattr(item, attribute)
        key = value.replace(day=1) if by_month and type(value) is datetime.date else value
        if key not in labels:
            labels[key] = defaultfilters.date(value, date_format)
        return labels[key]

    return [
        Group(grouper=grouper, list=list(run))
        for grouper, run in itertools.groupby(items, key=label)
    ]


# The grouping of each language's integers: (separator, digits per group), as Django's
# formats give them.
_grouping: dict[str | None, tuple[str, object]] = {}


def grouped(value, language: str | None = None) -> str:
    """Django's `intcomma`, an integer's digits grouped by the language's separator ("12 345"
    in French, "12,345" in English) without going through its general number formatting: a
    territory's panorama shows sixty counts, and `intcomma` took a millisecond for them.
    Anything but an integer (a decimal, a string) goes through `intcomma` itself. In
    `language` when known (a template's), else the active one."""
    if type(value) is not int:
        return intcomma(value)
    language = language or translation.get_language()
    found = _grouping.get(language)
    if found is None:
        found = _grouping[language] = (
            formats.get_format("THOUSAND_SEPARATOR"),
            formats.get_format("NUMBER_GROUPING"),
        )
    separator, digits = found
    if digits != 3:
        return intcomma(value)
    return f"{value:,}".replace(",", separator)


@jinja2.pass_context
def _intcomma(context, value) -> str:
    # `|intcomma`: grouped() in the page's language.
    return grouped(value, _language(context))


@jinja2.pass_context
def local_date(context, value, arg=None):
    """Django's `date` filter on the moment in the site's time zone, as Django's own
    templates convert it before filtering (Jinja does not): a run completed on 23 August at
    22:10 UTC is dated 24 August in Paris."""
    if type(value) is datetime.date:
        return _day_text(value, arg, _language(context))
    return defaultfilters.date(timezone.template_localtime(value), arg)


@jinja2.pass_context
def clock(context, value) -> str:
    """languages.clock() in the page's language, kept per time of day (see _day_text)."""
    if type(value) is datetime.time:
        return _clock_text(value, _language(context))
    return languages.clock(value)


@functools.lru_cache(maxsize=4096)
def _clock_text(moment: datetime.time, language: str) -> str:
    return languages.clock(moment, language)


# A day (no time, no time zone) written in a format: what Django's `date` filter gives, in
# `language`, the active one (part of the key: the names of months and days). A page writes
# the same few days again and again (the agenda's twenty events, twice each), and Django's
# formatter takes 50 to 65 us a day, its times of day 40 us (clock()).
@functools.lru_cache(maxsize=4096)
def _day_text(day: datetime.date, arg: str | None, language: str | None) -> str:
    return defaultfilters.date(day, arg)


FILTERS: dict[str, Callable] = {
    "add": defaultfilters.add,
    "bounded": presentation.bounded,
    "capfirst": defaultfilters.capfirst,
    "clock": clock,
    "cut": defaultfilters.cut,
    "date": local_date,
    "default": default,
    "euros": euros,
    "floatformat": defaultfilters.floatformat,
    "french": french,
    "intcomma": _intcomma,
    "linebreaksbr": defaultfilters.linebreaksbr,
    "of": languages.of,
    "plural_number": languages.plural_number,
    "regroup_by_date": regroup_by_date,
    "rich_text": presentation.rich_text,
    "stringformat": defaultfilters.stringformat,
    "to": languages.to,
    "truncatewords": defaultfilters.truncatewords,
    "unlocalize": unlocalize,
    "urlencode": defaultfilters.urlencode,
}


def sirene_coverage():
    """`sirene_coverage()`: whether the SIRENE register was imported, recently, and whether
    the fictitious sample is loaded (actors.coverage; one query)."""
    from actors.coverage import sirene_coverage

    return sirene_coverage()


def is_sample(actor) -> bool:
    """`is_sample(actor)`: whether a structure comes from the fictitious sample."""
    from actors.coverage import is_sample

    return is_sample(actor)


GLOBALS: dict[str, Callable] = {
    "accessibility_label": legal.accessibility_label,
    "get_language": translation.get_language,
    "is_sample": is_sample,
    "json_ld": presentation.json_ld,
    "page_languages": languages.page_languages,
    "querystring": querystring,
    "sirene_coverage": sirene_coverage,
    "source_lang": source_lang,
    "static": static,
    "territory_in": languages.territory_in,
    "url": url,
    "url_fr": url_fr,
}


# At most this many translated messages kept (the catalogue holds about a thousand, in two
# languages and two escapings): emptied when full, whatever called it.
KEPT_TRANSLATIONS = 10_000


def _kept_translations(gettext: Callable) -> Callable:
    """Jinja2's `gettext` (newstyle: escaped, formatted), each message without variables
    translated once per language and escaping: a page says a few hundred `_()`, each
    through Django's catalogue lookup and Jinja2's wrapper (5 µs, a millisecond of a
    collectivité's page). Messages with variables go through every time."""
    kept: dict[tuple, Any] = {}

    @jinja2.pass_context
    def kept_gettext(context, message: str, **variables: Any):
        if variables:
            return gettext(context, message, **variables)
        language = _language(context)
        key = (language, context.eval_ctx.autoescape, message)
        try:
            return kept[key]
        except KeyError:
            if len(kept) >= KEPT_TRANSLATIONS:
                kept.clear()
            value = kept[key] = gettext(context, message)
            return value

    return kept_gettext


def environment(**options: Any) -> jinja2.Environment:
    """The Jinja2 environment of the site's templates (TEMPLATES' OPTIONS["environment"])."""
    # Each template's last newline is kept, as Django's engine does (e-mails, code to copy).
    options.setdefault("keep_trailing_newline", True)
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"], finalize=_finalize, **options)
    # Django's catalogues, plurals following French's rule on French pages ("0 événement").
    env.install_gettext_translations(languages.Translations, newstyle=True)
    env.globals["gettext"] = env.globals["_"] = _kept_translations(env.globals["gettext"])
    # Same whitespace rule as Django's {% blocktranslate trimmed %}: the catalogue's msgids.
    env.policies["ext.i18n.trimmed"] = True
    env.filters.update(FILTERS)
    env.globals.update(GLOBALS)
    return env


class Template(django_jinja2.Template):
    """Django's Jinja2 template, which also tells the test client what it rendered.

    Django's own engine sends `template_rendered` under the test runner, which fills
    `response.context` and `assertTemplateUsed`; its Jinja2 backend does not. Sending a
    signal no one listens to costs a dictionary lookup.
    """

    @property
    def name(self) -> str:
        return self.template.name

    def render(self, context=None, request=None) -> SafeString:
        context = {} if context is None else context
        template_rendered.send(sender=self, template=self, context=context)
        return super().render(context, request)


class Jinja2(django_jinja2.Jinja2):
    """Django's Jinja2 backend, returning `Template` above."""

    def get_template(self, template_name):
        return Template(super().get_template(template_name).template, self)

    def from_string(self, template_code):
        return Template(super().from_string(template_code).template, self)


class FormRenderer(BaseRenderer):
    """Form widgets rendered by Jinja2, from the widget templates Django ships for it; a
    template only Django's engine has (the admin's widgets) is rendered by Django's engine.

    The widgets of a list's filter form took as long as the rest of its page with Django's
    engine (BENCHMARKS.md).
    """

    def __init__(self):
        self.jinja2 = forms_renderers.Jinja2()
        self.django = forms_renderers.DjangoTemplates()

    def get_template(self, template_name):
        try:
            return self.jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self.django.get_template(template_name)
