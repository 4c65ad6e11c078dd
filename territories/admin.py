from django.contrib import admin
from django.db import models

from territories import services
from territories.models import (
    Action,
    Budget,
    BudgetLine,
    Collectivite,
    Contact,
    KeyFigure,
    PostalCode,
    Scheme,
    SchemeFunder,
    Source,
    StrategicAxis,
    Territory,
    TerritoryKind,
    Theme,
)


class BaseAdmin(admin.ModelAdmin):
    # Addresses typed without a scheme are web sites: assume https (Django 6 default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


admin.site.site_header = "essdir — gestion de l'annuaire"
admin.site.site_title = "essdir"
admin.site.index_title = "Gestion"


@admin.register(Source)
class SourceAdmin(BaseAdmin):
    list_display = ["code", "title", "publisher", "as_of"]
    search_fields = ["code", "title", "publisher"]


@admin.register(Theme)
class ThemeAdmin(BaseAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class PostalCodeInline(admin.TabularInline):
    model = PostalCode
    extra = 0


@admin.register(Territory)
class TerritoryAdmin(BaseAdmin):
    list_display = ["name", "kind", "code", "departement_code", "population", "commune_count"]
    list_filter = ["kind", "subtype"]
    search_fields = ["search_name", "code", "short_slug", "postal_codes__code"]
    readonly_fields = ["rank", "commune_count", "slug", "short_slug"]
    autocomplete_fields = ["grouping_epcis"]
    show_full_result_count = False
    list_per_page = 50

    def get_search_results(self, request, queryset, search_term):
        from territories.text import normalize

        queryset, may_have_duplicates = super().get_search_results(
            request, queryset, normalize(search_term) or search_term
        )
        return queryset, may_have_duplicates

    def get_inlines(self, request, obj):
        return [PostalCodeInline] if obj and obj.kind == TerritoryKind.COMMUNE else []

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if form.instance.kind == TerritoryKind.GROUPEMENT:
            # A corrected composition changes what the grouping contains.
            services.update_grouping(
                grouping=form.instance,
                epcis=form.cleaned_data.get("grouping_epcis", []),
                restrict_to=form.instance.restrict_to_departement,
            )


class KeyFigureInline(admin.TabularInline):
    model = KeyFigure
    extra = 0


class AxisInline(admin.StackedInline):
    model = StrategicAxis
    extra = 0


class ActionInline(admin.StackedInline):
    model = Action
    extra = 0
    filter_horizontal = ["themes"]


@admin.register(Collectivite)
class CollectiviteAdmin(BaseAdmin):
    list_display = ["name", "kind", "territory", "status", "checked_at", "updated_at"]
    list_filter = ["status", "kind"]
    search_fields = ["name", "short_name", "slug"]
    list_select_related = ["territory"]
    autocomplete_fields = ["territory"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["sources"]
    inlines = [KeyFigureInline, AxisInline, ActionInline]


@admin.register(Contact)
class ContactAdmin(BaseAdmin):
    list_display = ["__str__", "title", "collectivite", "role", "is_central", "is_ctes", "status"]
    list_filter = ["status", "role", "is_central", "is_ctes", "collectivite"]
    search_fields = ["name", "title", "service", "email", "collectivite__name"]
    list_select_related = ["collectivite"]
    autocomplete_fields = ["collectivite", "territories"]
    filter_horizontal = ["sources"]


class BudgetLineInline(admin.TabularInline):
    model = BudgetLine
    extra = 0
    autocomplete_fields = ["scheme"]


@admin.register(Budget)
class BudgetAdmin(BaseAdmin):
    list_display = ["__str__", "collectivite", "year", "staff_fte", "status"]
    list_filter = ["status", "year", "collectivite"]
    search_fields = ["label", "collectivite__name"]
    list_select_related = ["collectivite"]
    autocomplete_fields = ["collectivite"]
    filter_horizontal = ["sources"]
    inlines = [BudgetLineInline]


class SchemeFunderInline(admin.TabularInline):
    model = SchemeFunder
    extra = 0
    autocomplete_fields = ["collectivite"]


@admin.register(Scheme)
class SchemeAdmin(BaseAdmin):
    list_display = ["name", "kind", "collectivite", "territory", "opens_on", "closes_on", "status"]
    list_filter = ["status", "kind", "themes", "collectivite"]
    search_fields = ["name", "slug", "summary", "collectivite__name"]
    list_select_related = ["collectivite", "territory"]
    autocomplete_fields = ["collectivite", "territory"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["themes", "sources"]
    inlines = [SchemeFunderInline]
