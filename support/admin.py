"""The imported data·inclusion records, read-only for staff: the import is their only writer."""

from django.contrib import admin

from support.models import SupportService, SupportStructure
from territories import access


class ReadOnlyAdmin(admin.ModelAdmin):
    """Network data every collectivité's staff may read: like the themes and sources, shown
    to the network and to members of a collectivité, not to staff who belong to none."""

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_module_permission(self, request):
        return access.is_network_admin(request.user) or access.is_member(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


@admin.register(SupportStructure)
class SupportStructureAdmin(ReadOnlyAdmin):
    list_display = ["name", "source", "di_id", "siret", "actor", "updated_on", "file_date"]
    list_filter = ["source"]
    search_fields = ["name", "siret", "di_id"]
    list_select_related = ["actor"]


@admin.register(SupportService)
class SupportServiceAdmin(ReadOnlyAdmin):
    list_display = ["name", "structure", "source", "di_id", "updated_on", "file_date"]
    list_filter = ["source"]
    search_fields = ["name", "di_id", "structure__name"]
    list_select_related = ["structure"]
