from django.contrib import admin

from events.models import Event, EventParticipation
from territories.admin import BaseAdmin


class ParticipationInline(admin.TabularInline):
    model = EventParticipation
    extra = 0
    autocomplete_fields = ["collectivite", "actor"]


@admin.register(Event)
class EventAdmin(BaseAdmin):
    list_display = ["title", "kind", "start_date", "date_precision", "territory", "status"]
    list_filter = ["status", "kind", "date_precision", "mois_ess", "schedule_status"]
    search_fields = ["title", "slug", "venue"]
    list_select_related = ["territory"]
    autocomplete_fields = ["territory"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["themes", "sources"]
    date_hierarchy = "start_date"
    inlines = [ParticipationInline]
