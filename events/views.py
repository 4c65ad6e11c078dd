from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpResponse
from django.utils.feedgenerator import Atom1Feed
from django.views.generic import DetailView

from actors.caching import FAMILY as ACTORS
from core.caching import PublicPageCacheMixin
from core.export_views import ExportView
from core.pagination import MAX_RESULTS
from core.statements import Statement
from core.views import (
    FilteredListView,
    KeptObjectMixin,
    StructuredDataMixin,
    invalid_parameters,
)
from events import caching
from events.calendar import build_calendar
from events.exports import EVENTS
from events.filters import EventFilterSet
from events.models import Event
from events.structured_data import event_ld
from territories.caching import FAMILY as TERRITORIES
from territories.caching import list_tags

ICS_LIMIT = 500


def plain_text(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def calendar_response(events, request, name: str, filename: str) -> HttpResponse:
    body = build_calendar(events, base_url=request.build_absolute_uri("/").rstrip("/"), name=name)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class EventListView(FilteredListView):
    filterset_class = EventFilterSet
    template_name = "events/event_list.html"

    @property
    def exact_count_up_to(self) -> int:
        """The agenda's events are few (20 000 in all on the benchmark's dataset of 200 000
        structures): counted up to the list's bound at once, in one statement, where those
        of a large territory (a thousand to a few thousand) were counted up to a thousand,
        estimated, then counted again (Île-de-France: 6.1 ms in three statements). A
        search is bounded as every search of the site is (max_results)."""
        return self.max_results or MAX_RESULTS

    @property
    def max_results(self) -> int | None:
        """Searched, the list pages through its first EXACT_COUNT_UP_TO matches by date and
        says "plus de" past them, as the structures' searches do past their candidates: a
        visitor refines the words, a place or the dates rather than reading page 51. Each
        match's words are read from the table to count it (an index holds the dates, not
        the words): a word found in every event counted the 7 268 upcoming ones of the
        benchmark's database, 8 ms, for the one thousand and first."""
        return settings.EXACT_COUNT_UP_TO if self.filterset.searched else None

    def get_cache_tags(self):
        tags = list_tags(self.request, caching.FAMILY, caching.territory_tag)
        if self.request.GET.get("organisateur"):
            tags.append(ACTORS)  # found by the organiser's identifier
        return tags

    def get_queryset(self):
        return Event.objects.published().for_cards()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["period"] = self.filterset.period
        if self.filterset.period == "a-venir" and not self.filterset.errors:
            # Events whose source gives no full date but a rhythm (every year in November…)
            # are listed apart, never guessed; the others are past events, "date incomplète".
            recurring = Event.objects.published().recurring_undated().for_cards()
            undated = self.filterset.undated(recurring)
            context["undated"] = undated.order_by("title")[: settings.PAGE_SIZE]
        return context


def _public_event(*, slug: str):
    return Event.objects.published().for_detail().filter(slug=slug)


class EventDetailView(KeptObjectMixin, PublicPageCacheMixin, StructuredDataMixin, DetailView):
    template_name = "events/event_detail.html"
    context_object_name = "event"
    # An event's page, read by a kept statement (core.statements) for visitors; by a unique
    # key, planned once (core.prepared).
    public_object = Statement(_public_event, bound=("slug",), generic_plan=True)

    def get_cache_tags(self):
        # Its organisers and partners: a structure's write moves its events' pages on.
        return [caching.event_tag(self.kwargs["slug"]), TERRITORIES]

    def get_queryset(self):
        return Event.objects.visible_to(self.request.user).for_detail()

    def get_structured_data(self, base: str, context: dict) -> dict:
        return event_ld(self.object, self.object.organiser_links, base)


class EventCalendarView(PublicPageCacheMixin, DetailView):
    """One event as an .ics file."""

    def get_queryset(self):
        return Event.objects.published().for_list()

    def render_to_response(self, context, **response_kwargs):
        event = self.object
        if not event.has_full_date:
            return plain_text(
                "Cet événement n'a pas de date complète : il ne peut pas être ajouté à un agenda.",
                404,
            )
        return calendar_response([event], self.request, event.title, f"{event.slug}.ics")


class EventFeedCalendarView(FilteredListView):
    """The filtered agenda as a calendar to subscribe to (same parameters as the list)."""

    filterset_class = EventFilterSet
    paginate_by = None

    def get_queryset(self):
        return Event.objects.published().for_list()

    def render_to_response(self, context, **response_kwargs):
        if self.filterset.errors:
            return plain_text(invalid_parameters(self.filterset), 400)
        events = self.object_list[:ICS_LIMIT]
        return calendar_response(events, self.request, "Agenda de l'ESS (essdir)", "agenda-ess.ics")


class EventAtomFeed(Feed):
    feed_type = Atom1Feed
    title = "Agenda de l'ESS dans les territoires"
    subtitle = (
        "Les événements de l'économie sociale et solidaire, les plus récemment annoncés d'abord."
    )
    link = "/evenements/"

    def items(self):
        return Event.objects.published().for_list().order_by("-created_at", "-pk")[:50]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        when = item.date_label or (item.start_date.isoformat() if item.start_date else "")
        return f"{when} — {item.description}".strip(" —")

    def item_pubdate(self, item):
        return item.created_at

    def item_updateddate(self, item):
        return item.updated_at


class EventExportView(ExportView):
    """The agenda with the list's filters (upcoming by default, like the list)."""

    filterset_class = EventFilterSet
    export = EVENTS

    def get_queryset(self):
        return Event.objects.published().for_list()
