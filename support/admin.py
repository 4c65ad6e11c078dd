"""The imported data·inclusion records, read-only for staff: the import is their only writer."""

from django.contrib import admin

from support.models import SupportService, SupportStructure


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

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
