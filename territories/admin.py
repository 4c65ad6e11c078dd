from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from core import publication
from core.history import FrenchHistoryHelper
from core.publication import PublicationStatus
from territories import access, services
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
    StaffMembership,
    StaffRole,
    StrategicAxis,
    Territory,
    TerritoryKind,
    Theme,
)

admin.site.site_header = "essdir — gestion de l'annuaire"
admin.site.site_title = "essdir"
admin.site.index_title = "Gestion"


class BaseAdmin(admin.ModelAdmin):
    # Addresses typed without a scheme are web sites: assume https (Django 6 default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_object(self, request, object_id, from_field=None):
        # Django's admin redirects to its index for an unknown id; records of another
        # collectivité must simply not exist for this user: 404.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("Fiche introuvable ou hors de votre périmètre.")
        return obj


class NetworkAdminOnly(BaseAdmin):
    """Reference data only network administrators (superusers) edit; members may read."""

    def has_module_permission(self, request):
        return access.is_network_admin(request.user) or access.is_member(request.user)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return access.is_network_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return access.is_network_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return access.is_network_admin(request.user)


def publicly_referable(user, model, queryset):
    """Own records plus published ones: what an editor may point to (a co-funder, a network)."""
    if access.is_network_admin(user):
        return queryset
    return queryset.filter(
        Q(pk__in=access.scoped(user, model.objects.all()).values("pk"))
        | Q(status=PublicationStatus.PUBLISHED)
    )


def refresh_search(record) -> None:
    """Once a record and its relations are saved, refresh what it is found by."""
    manager = type(record)._default_manager
    if hasattr(manager, "refresh_search_context"):
        manager.filter(pk=record.pk).refresh_search_context()


class FreshnessFilter(admin.SimpleListFilter):
    title = "vérification"
    parameter_name = "verification"

    def lookups(self, request, model_admin):
        return [("a-revoir", "Non vérifiée depuis plus d'un an"), ("jamais", "Jamais vérifiée")]

    def queryset(self, request, queryset):
        if self.value() == "a-revoir":
            # What the report and the back-office home count (territories.access).
            kept = access.kept_by(queryset.model, access.collectivites_of(request.user))
            to_review = access.to_review(kept, timezone.localdate())
            return queryset.filter(pk__in=to_review.values("pk"))
        if self.value() == "jamais":
            return queryset.filter(checked_at__isnull=True)
        return queryset


class ScopedInline:
    """Inline rows follow the permission on their parent record."""

    def _allowed(self, request, obj):
        user = request.user
        if access.is_network_admin(user):
            return True
        return access.is_member(user) and (obj is None or access.in_scope(user, obj))

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Collectivite and not access.is_network_admin(request.user):
            kwargs["queryset"] = publicly_referable(
                request.user, Collectivite, Collectivite.objects.all()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ScopedAdmin(SimpleHistoryAdmin, BaseAdmin):
    """An admin where staff see and change only their collectivités' records (access.scope)."""

    # Its records are those of the user's collectivités (essdir.E002 checks the rule).
    scoped_by_owner = True

    # The field naming the collectivité that owns a record; editors may only pick theirs.
    owner_field: str | None = "collectivite"
    editors_may_add = True
    editors_may_delete = True
    actions = ["mark_checked", "publish", "archive"]

    # The form opens on what names the record and its status; the sources come last.
    lead_fields = ["name", "status"]
    sources_fields = ["sources"]

    # The history in French (templates/django/admin/simple_history/).
    object_history_template = "admin/simple_history/object_history.html"
    object_history_list_template = "admin/simple_history/object_history_list.html"

    def get_historical_record_context_helper(self, request, historical_record):
        return FrenchHistoryHelper(self.model, historical_record)

    def get_fieldsets(self, request, obj=None):
        if self.fieldsets:
            return super().get_fieldsets(request, obj)
        return self.ordered_fieldsets(list(self.get_fields(request, obj)))

    def ordered_fieldsets(self, fields: list[str], sections=()) -> list:
        """The name and status first, then the record's other fields, `sections`, and its
        sources in a fieldset of their own (the large picker no longer opens the form)."""
        in_sections = {name for _, options in sections for name in options["fields"]}
        lead = [name for name in self.lead_fields if name in fields]
        sources = [name for name in self.sources_fields if name in fields]
        rest = [name for name in fields if name not in {*lead, *sources, *in_sections}]
        fieldsets = [(None, {"fields": [*lead, *rest]}), *sections]
        if sources:
            fieldsets.append(
                (
                    "Sources",
                    {
                        "fields": sources,
                        "description": "Les documents d'où viennent les informations de la fiche.",
                    },
                )
            )
        return fieldsets

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if access.is_network_admin(request.user):
            return queryset
        # A subquery rather than joins: no duplicates, and bulk deletes stay possible.
        allowed = access.scoped(request.user, self.model.objects.all()).values("pk")
        return queryset.filter(pk__in=allowed)

    change_list_template = "admin/scoped_change_list.html"
    trash_size = 200

    def get_urls(self):
        from django.urls import path

        opts = self.model._meta
        return [
            path(
                "corbeille/",
                self.admin_site.admin_view(self.deleted_view),
                name=f"{opts.app_label}_{opts.model_name}_deleted",
            ),
            *super().get_urls(),
        ]

    def deleted_view(self, request):
        """Deleted records the user may restore, newest first, from the history."""
        from django.template.response import TemplateResponse

        if not self.has_module_permission(request):
            raise PermissionDenied
        history = self.model.history.filter(history_type="-").order_by("-history_date")
        existing = set(
            self.model.objects.filter(
                pk__in=history.values_list("id", flat=True)[: self.trash_size]
            ).values_list("pk", flat=True)
        )
        opts = self.model._meta
        records = [
            {
                "label": str(record.instance),
                "deleted_at": record.history_date,
                "deleted_by": record.history_user,
                "restore_url": reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_simple_history",
                    args=[record.id, record.history_id],
                ),
            }
            for record in history.select_related("history_user")[: self.trash_size]
            if record.id not in existing and access.in_scope(request.user, record.instance)
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": f"{opts.verbose_name_plural.capitalize()} supprimé·es",
            "opts": opts,
            "records": records,
        }
        return TemplateResponse(request, "admin/deleted_records.html", context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # The form of an old version must show the relations of that version too: read them
        # from the tracked many-to-many history (a deleted record's last snapshot before it).
        version = get_object_or_404(
            self.model.history, id=unquote(object_id), history_id=version_id
        )
        request._essdir_m2m_initial = self._historical_m2m(version)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _historical_m2m(self, version) -> dict[str, list[int]]:
        tracked = getattr(self.model.history.model, "_history_m2m_fields", [])
        initial = {}
        for field in tracked:
            snapshot = version
            while snapshot is not None:
                rows = getattr(snapshot, field.name).all()
                if rows.exists() or snapshot.history_type != "-":
                    break
                snapshot = snapshot.prev_record
            target = field.m2m_reverse_field_name()
            initial[field.name] = (
                [getattr(row, f"{target}_id") for row in rows] if snapshot is not None else []
            )
        return initial

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        initial_m2m = getattr(request, "_essdir_m2m_initial", None)
        if not initial_m2m or request.method != "GET":
            return form

        class RestoreForm(form):
            def __init__(self, *args, **form_kwargs):
                form_kwargs.setdefault("initial", {}).update(initial_m2m)
                super().__init__(*args, **form_kwargs)

        return RestoreForm

    def has_module_permission(self, request):
        return access.is_network_admin(request.user) or access.is_member(request.user)

    def _may(self, request, obj, allowed_for_editors=True):
        user = request.user
        if access.is_network_admin(user):
            return True
        if not (allowed_for_editors and access.is_member(user)):
            return False
        return obj is None or access.in_scope(user, obj)

    def has_view_permission(self, request, obj=None):
        return self._may(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may(request, obj)

    def has_add_permission(self, request):
        return self._may(request, None, self.editors_may_add)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, obj, self.editors_may_delete)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        own = sorted(access.collectivite_ids(request.user))
        if self.owner_field and own and self.owner_field not in initial:
            initial[self.owner_field] = own[0]
        return initial

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        user = request.user
        if db_field.related_model is Collectivite and not access.is_network_admin(user):
            if db_field.name == self.owner_field:
                kwargs["queryset"] = Collectivite.objects.filter(
                    pk__in=access.collectivite_ids(user)
                )
            else:
                kwargs["queryset"] = publicly_referable(user, Collectivite, Collectivite.objects)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        user = request.user
        if self.owner_field and not access.is_network_admin(user):
            owner_id = getattr(obj, f"{self.owner_field}_id")
            if owner_id not in access.collectivite_ids(user):
                raise PermissionDenied(
                    "Vous ne pouvez pas rattacher une fiche à cette collectivité."
                )
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        refresh_search(form.instance)

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        return [*filters, FreshnessFilter] if hasattr(self.model, "checked_at") else filters

    @admin.action(description="Marquer comme vérifiées aujourd'hui")
    def mark_checked(self, request, queryset):
        count = publication.mark_checked(records=queryset, day=timezone.localdate())
        self.message_user(
            request, f"{count} fiche(s) marquée(s) comme vérifiée(s).", messages.SUCCESS
        )

    @admin.action(description="Publier")
    def publish(self, request, queryset):
        count = publication.set_status(records=queryset, status=PublicationStatus.PUBLISHED)
        self.message_user(request, f"{count} fiche(s) publiée(s).", messages.SUCCESS)

    @admin.action(description="Archiver (retirer du site public)")
    def archive(self, request, queryset):
        count = publication.set_status(records=queryset, status=PublicationStatus.ARCHIVED)
        self.message_user(request, f"{count} fiche(s) archivée(s).", messages.SUCCESS)

    @admin.display(description="aperçu")
    def preview_link(self, obj):
        if not hasattr(obj, "get_absolute_url"):
            return ""
        return format_html('<a href="{}">Voir sur le site</a>', obj.get_absolute_url())


@admin.register(Source)
class SourceAdmin(NetworkAdminOnly):
    list_display = ["code", "title", "publisher", "as_of"]
    search_fields = ["code", "title", "publisher"]


@admin.register(Theme)
class ThemeAdmin(NetworkAdminOnly):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class PostalCodeInline(admin.TabularInline):
    model = PostalCode
    extra = 0


@admin.register(Territory)
class TerritoryAdmin(NetworkAdminOnly):
    list_display = ["name", "kind", "code", "departement_code", "population", "commune_count"]
    list_filter = ["kind", "subtype"]
    search_fields = ["search_name", "code", "short_slug", "postal_codes__code"]
    readonly_fields = ["rank", "commune_count", "slug", "short_slug", "outside_main_departement"]
    autocomplete_fields = ["grouping_epcis"]
    show_full_result_count = False
    list_per_page = 50

    @admin.display(description="communes hors du département principal")
    def outside_main_departement(self, obj):
        if obj.pk is None or obj.kind in (TerritoryKind.COMMUNE, TerritoryKind.DEPARTEMENT):
            return "—"
        main, outside = obj.communes_outside_main_departement()
        if not outside:
            return f"Aucune : toutes ses communes sont dans le département {main}." if main else "—"
        names = ", ".join(f"{c.name} ({c.code})" for c in outside)
        return (
            f"Département principal : {main}. {len(outside)} commune(s) hors de celui-ci : "
            f"{names}. Le territoire compte dans le département principal seulement."
        )

    def has_change_permission(self, request, obj=None):
        # Department staff correct the composition of the groupings on their territory.
        if access.is_network_admin(request.user):
            return True
        if obj is None or obj.kind != TerritoryKind.GROUPEMENT:
            return False
        own = Collectivite.objects.filter(pk__in=access.collectivite_ids(request.user))
        return Territory.objects.filter(
            pk=obj.pk, container_links__container__in=own.values("territory_id")
        ).exists()

    def get_search_results(self, request, queryset, search_term):
        from core.text import normalize

        return super().get_search_results(request, queryset, normalize(search_term) or search_term)

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


class KeyFigureInline(ScopedInline, admin.TabularInline):
    model = KeyFigure
    extra = 0


class AxisInline(ScopedInline, admin.StackedInline):
    model = StrategicAxis
    extra = 0


class ActionInline(ScopedInline, admin.StackedInline):
    model = Action
    extra = 0
    filter_horizontal = ["themes"]


@admin.register(Collectivite)
class CollectiviteAdmin(ScopedAdmin):
    owner_field = None
    editors_may_add = False
    editors_may_delete = False
    list_display = ["name", "kind", "territory", "status", "checked_at"]
    list_filter = ["status", "kind"]
    search_fields = ["name", "short_name", "slug"]
    list_select_related = ["territory"]
    autocomplete_fields = ["territory"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["sources"]
    inlines = [KeyFigureInline, AxisInline, ActionInline]

    def get_prepopulated_fields(self, request, obj=None):
        return self.prepopulated_fields if access.is_network_admin(request.user) else {}

    def get_readonly_fields(self, request, obj=None):
        # Which territory a collectivité governs is the network's call.
        if access.is_network_admin(request.user):
            return self.readonly_fields
        return [*self.readonly_fields, "territory", "slug", "kind"]


@admin.register(Contact)
class ContactAdmin(ScopedAdmin):
    list_display = ["__str__", "title", "collectivite", "role", "status", "checked_at"]
    lead_fields = ["name", "title", "status"]
    list_filter = [
        "status",
        "role",
        "is_central",
        "is_ctes",
        ("collectivite", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["name", "title", "service", "email"]
    list_select_related = ["collectivite"]
    autocomplete_fields = ["territories"]
    filter_horizontal = ["sources"]


class BudgetLineInline(ScopedInline, admin.TabularInline):
    model = BudgetLine
    extra = 0
    autocomplete_fields = ["scheme"]


@admin.register(Budget)
class BudgetAdmin(ScopedAdmin):
    list_display = ["__str__", "collectivite", "year", "status", "checked_at"]
    lead_fields = ["label", "year", "status"]
    list_filter = ["status", "year", ("collectivite", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["label"]
    list_select_related = ["collectivite"]
    filter_horizontal = ["sources"]
    inlines = [BudgetLineInline]


class SchemeFunderInline(ScopedInline, admin.TabularInline):
    model = SchemeFunder
    extra = 0


@admin.register(Scheme)
class SchemeAdmin(ScopedAdmin):
    list_display = ["name", "kind", "collectivite", "closes_on", "status", "checked_at"]
    list_filter = ["status", "kind", "themes", ("collectivite", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "slug", "summary"]
    list_select_related = ["collectivite", "territory"]
    autocomplete_fields = ["territory"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["themes", "sources"]
    inlines = [SchemeFunderInline]


@admin.register(StaffMembership)
class StaffMembershipAdmin(BaseAdmin):
    """Managers manage the editors of their collectivités; network admins everyone."""

    # Its records are those of the user's collectivités (essdir.E002 checks the rule).
    scoped_by_owner = True

    list_display = ["user", "collectivite", "role"]
    list_filter = ["role", ("collectivite", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user", "collectivite"]
    raw_id_fields = ["user"]

    def get_queryset(self, request):
        return access.scoped(request.user, super().get_queryset(request))

    def _may(self, request, obj=None):
        user = request.user
        if access.is_network_admin(user):
            return True
        managed = access.managed_collectivite_ids(user)
        return bool(managed) and (obj is None or obj.collectivite_id in managed)

    def has_module_permission(self, request):
        return self._may(request)

    def has_view_permission(self, request, obj=None):
        return self._may(request, obj)

    def has_add_permission(self, request):
        return self._may(request)

    def has_change_permission(self, request, obj=None):
        return self._may(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "collectivite" and not access.is_network_admin(request.user):
            kwargs["queryset"] = Collectivite.objects.filter(
                pk__in=access.managed_collectivite_ids(request.user)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role" and not access.is_network_admin(request.user):
            kwargs["choices"] = [(StaffRole.EDITOR, StaffRole.EDITOR.label)]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not self._may(request, obj) or (
            not access.is_network_admin(request.user) and obj.role != StaffRole.EDITOR
        ):
            raise PermissionDenied
        super().save_model(request, obj, form, change)
