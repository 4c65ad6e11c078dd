"""What every public page of a list or a search form shares."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.utils.functional import SimpleLazyObject
from django_filters.views import FilterView

from core.caching import PublicPageCacheMixin
from core.filters import AMBIGUOUS
from core.pagination import BoundedPaginator
from core.prefetches import prefetch_together
from core.statements import Statement, querysets_together


def query_string(params, **changes) -> str:
    """`params` (a QueryDict) as a query string, without the page, with `changes` applied."""
    query = params.copy()
    query.pop("page", None)
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()


def has_invalid_input(form) -> bool:
    """Whether `form` has errors other than a request to choose among candidates."""
    errors = form.errors.as_data().values()
    return any(error.code != AMBIGUOUS for field_errors in errors for error in field_errors)


def invalid_parameters(filterset) -> str:
    """What the machine-readable views (exports, calendars, API) answer to bad filters."""
    messages = "; ".join(e for errors in filterset.errors.values() for e in errors)
    return f"Paramètres invalides : {messages}"


class InvalidInputMixin:
    """Answer 400, with the page and its messages, when what the visitor typed is invalid."""

    def has_invalid_input(self) -> bool:
        return has_invalid_input(self.get_form())

    def render_to_response(self, context, **response_kwargs):
        if self.has_invalid_input():
            response_kwargs["status"] = 400
        return super().render_to_response(context, **response_kwargs)


class QueryFormMixin(InvalidInputMixin):
    """A page driven by a GET form (`form_class`), bound to the query string once."""

    form_class = None

    def get_form(self):
        if not hasattr(self, "_form"):
            self._form = self.form_class(self.request.GET or None)
        return self._form

    def get_query(self) -> str:
        """The visitor's valid, non-blank `q`, or ""."""
        form = self.get_form()
        return form.cleaned_data["q"].strip() if form.is_valid() else ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = self.get_form()
        context["query_string"] = query_string(self.request.GET)
        return context


class StructuredDataMixin:
    """A detail page that describes its record for search engines (schema.org JSON-LD)."""

    def get_structured_data(self, base: str, context: dict) -> dict:
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        base = self.request.build_absolute_uri("/").rstrip("/")
        context["structured_data"] = self.get_structured_data(base, context)
        return context


class FilteredListView(PublicPageCacheMixin, InvalidInputMixin, FilterView):
    """A paginated, cached list with one FilterSet; bad filters answer 400 with messages."""

    paginate_by = settings.PAGE_SIZE
    paginator_class = BoundedPaginator
    strict = True
    # Up to how many rows a list is counted exactly (BoundedPaginator's `exact_up_to`;
    # None: EXACT_COUNT_UP_TO).
    exact_count_up_to: int | None = None
    # How many rows a list pages through at most (BoundedPaginator's `max_results`; None:
    # MAX_RESULTS).
    max_results: int | None = None

    def get_filterset_kwargs(self, filterset_class):
        # Always bound, so that defaults (such as "upcoming events") apply to a bare URL.
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["data"] = self.request.GET
        return kwargs

    def has_invalid_input(self) -> bool:
        return has_invalid_input(self.filterset.form)

    def get(self, request, *args, **kwargs):
        # FilterView's, the filtered rows built when first read: a list whose page comes
        # from a kept statement of its keys (a scheme list's `counted_keys`) builds none of
        # its filters (a territory's schemes: 1.3 ms of building).
        self.filterset = self.get_filterset(self.get_filterset_class())
        if not self.filterset.is_bound or self.filterset.is_valid() or not self.get_strict():
            self.object_list = SimpleLazyObject(lambda: self.filterset.qs)
        else:
            self.object_list = self.filterset.queryset.none()
        context = self.get_context_data(filter=self.filterset, object_list=self.object_list)
        return self.render_to_response(context)

    def get_context_object_name(self, object_list):
        # From the list's own queryset: the filtered rows are not built for their model.
        return super().get_context_object_name(self.filterset.queryset)

    def get_template_names(self):
        # Django's, whose fallback names read the rows' model: from the list's own
        # queryset as well.
        object_list, self.object_list = self.object_list, self.filterset.queryset
        try:
            return super().get_template_names()
        finally:
            self.object_list = object_list

    def get_paginator(self, queryset, per_page, **kwargs):
        counted_keys = getattr(self.filterset, "counted_keys", None)
        counted_keys = counted_keys() if counted_keys is not None else None
        listing_keys = getattr(self.filterset, "listing_keys", None)
        if counted_keys is not None:
            # A page's keys and the count from a kept statement: the filtered keys, built
            # only if the page is not there (a number past the last page).
            ranked, keys = None, SimpleLazyObject(listing_keys)
        else:
            ranked = getattr(self.filterset, "ranked", None)
            keys = listing_keys() if listing_keys is not None else None
        if ranked is not None:
            # A search ranked by relevance: its candidates' keys come ranked, a page's rows
            # are read by key (core.search.best_first).
            keys = ranked.keys
        by_key = self.get_queryset() if keys is not None else None
        counted = getattr(self.filterset, "keys_counted", False)
        return super().get_paginator(
            queryset,
            per_page,
            ranked=ranked,
            keys=keys,
            by_key=by_key,
            keys_counted=counted,
            counted_keys=counted_keys,
            exact_up_to=self.exact_count_up_to,
            max_results=self.max_results,
            **kwargs,
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["query_string"] = query_string(self.request.GET)
        context["is_filtered"] = bool(query_string(self.request.GET))
        return context


class KeptObjectMixin:
    """A DetailView whose record, for visitors who are not signed in (published records
    only, as `visible_to()` gives them), is read by a kept statement (core.statements):
    `public_object`, built from the URL's `slug`. Signed-in staff, who may preview drafts,
    go the ordinary way (get_queryset())."""

    public_object: Statement
    # Whether the view reads its record's related rows with its own reads: the record is
    # read alone and its queryset left in `pending_prefetches`, which the view passes to
    # core.together.read_together(prefetching=…), so that those rows come level by level
    # with the page's (a collectivité's sources and actions with its lists' themes)
    # instead of in round trips of their own before them.
    prefetches_with_reads = False
    pending_prefetches: tuple = ()

    def get_object(self, queryset=None):
        if queryset is not None or self.request.user.is_authenticated:
            return super().get_object(queryset)
        arguments = {"slug": self.kwargs[self.slug_url_kwarg]}
        if self.prefetches_with_reads:
            found = querysets_together((self.public_object, arguments))[0]
            self.pending_prefetches = (found,)
            rows = found._result_cache
        else:
            rows = self.public_object.rows(**arguments)
        if not rows:
            raise Http404("No record found matching the query")
        return rows[0]

    def get_context_data(self, **kwargs):
        # What the view did not read with its own reads: the record is then complete
        # whatever the view does (a no-op when it did).
        prefetch_together(list(self.pending_prefetches))
        return super().get_context_data(**kwargs)
