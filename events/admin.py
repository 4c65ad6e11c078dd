from django.contrib import admin

from events.models import Event, EventParticipation
from territories.admin import ScopedAdmin, ScopedInline


class ParticipationInline(ScopedInline, admin.TabularInline):
    model = EventParticipation
    extra = 0
    autocomplete_fields = ["actor"]


@admin.register(Event)
class EventAdmin(ScopedAdmin):
    list_display = ["title", "kind", "start_date", "collectivite", "status", "checked_at"]
    lead_fields = ["title", "status"]
    list_filter = ["status", "kind", "date_precision", "mois_ess", "schedule_status"]
    search_fields = ["title", "slug", "venue"]
    list_select_related = ["territory", "collectivite"]
    autocomplete_fields = ["territory"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["themes", "sources"]
    date_hierarchy = "start_date"
    inlines = [ParticipationInline]
