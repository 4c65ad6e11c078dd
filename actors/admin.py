from django.contrib import admin

from actors.models import Actor, ActorPartnership, ActorProposal, SchemeRole
from territories.admin import BaseAdmin


class PartnershipInline(admin.TabularInline):
    model = ActorPartnership
    extra = 0
    autocomplete_fields = ["collectivite"]


class SchemeRoleInline(admin.TabularInline):
    model = SchemeRole
    extra = 0
    autocomplete_fields = ["scheme"]


@admin.register(Actor)
class ActorAdmin(BaseAdmin):
    list_display = ["name", "family", "subtype", "territory", "is_network", "status", "updated_at"]
    list_filter = ["status", "family", "subtype", "is_network", "themes"]
    search_fields = ["name", "slug", "siren", "siret"]
    list_select_related = ["territory"]
    autocomplete_fields = ["territory", "member_of"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["themes", "sources"]
    inlines = [PartnershipInline, SchemeRoleInline]
    show_full_result_count = False


@admin.register(ActorProposal)
class ActorProposalAdmin(BaseAdmin):
    list_display = ["name", "territory", "submitter_name", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "submitter_name", "submitter_email"]
    list_select_related = ["territory"]
    autocomplete_fields = ["territory"]
    readonly_fields = ["status", "actor", "created_at", "moderated_at", "moderated_by"]
