"""The back-office of grants: files uploaded by their collectivité's staff (scoped, with
history), and the grants read-only, with the beneficiaries that match no structure."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from grants import schema, services
from grants.models import Grant, GrantFile
from territories import access
from territories.admin import BaseAdmin, ScopedAdmin
from territories.models import Collectivite

# A SCDL file of 50 000 grants weighs about 15 MB.
MAX_UPLOAD_BYTES = 64 * 1024 * 1024


class UploadForm(forms.Form):
    collectivite = forms.ModelChoiceField(
        label="Collectivité attribuante", queryset=Collectivite.objects.none()
    )
    file = forms.FileField(label="Fichier CSV", help_text=f"Schéma {schema.NAME}, en UTF-8.")
    source_url = forms.URLField(
        label="Adresse de publication",
        required=False,
        assume_scheme="https",
        help_text="Où la collectivité publie ce fichier (data.gouv.fr, son site) : "
        "les pages la citent comme source.",
    )
    publish = forms.BooleanField(
        label="Publier dès l'import",
        required=False,
        initial=True,
        help_text="Les données essentielles des conventions de subvention sont publiques "
        "(décret n° 2017-779) ; décochez pour relire avant de publier.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        collectivites = Collectivite.objects.order_by("name")
        if not access.is_network_admin(user):
            collectivites = collectivites.filter(pk__in=access.collectivite_ids(user))
        self.fields["collectivite"].queryset = collectivites
        own = sorted(access.collectivite_ids(user))
        if len(own) == 1:
            self.fields["collectivite"].initial = own[0]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"Fichier de {upload.size // 1_000_000} Mo : {MAX_UPLOAD_BYTES // 1_000_000} Mo "
                "au plus. Importez-le avec la commande import_subventions."
            )
        return upload


@admin.register(GrantFile)
class GrantFileAdmin(ScopedAdmin):
    list_display = [
        "name",
        "collectivite",
        "years",
        "row_count",
        "total_amount",
        "status",
        "created_at",
        "imported_by",
        "replaced_by",
    ]
    list_filter = ["status", ("collectivite", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "years", "attributor_siren"]
    list_select_related = ["collectivite", "imported_by", "replaced_by"]
    fields = [
        "collectivite",
        "name",
        "source_url",
        "status",
        "checked_at",
        "years",
        "row_count",
        "grants_in_force",
        "total_amount",
        "attributor_siren",
        "sha256",
        "imported_by",
        "replaced_by",
        "created_at",
    ]
    readonly_fields = [
        "collectivite",
        "name",
        "years",
        "row_count",
        "grants_in_force",
        "total_amount",
        "attributor_siren",
        "sha256",
        "imported_by",
        "replaced_by",
        "created_at",
    ]

    def get_urls(self):
        return [
            path(
                "televerser/",
                self.admin_site.admin_view(self.upload_view),
                name="grants_grantfile_upload",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        # A file is added by uploading it: the form of its fields would store no grant.
        return redirect("admin:grants_grantfile_upload")

    @admin.display(description="subventions en vigueur")
    def grants_in_force(self, obj):
        if obj.pk is None:
            return "—"
        url = reverse("admin:grants_grant_changelist") + f"?file__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.grants.count())

    def upload_view(self, request):
        """Upload a SCDL file for one of the user's collectivités: checked whole, stored
        whole or not at all, the bad rows listed with their line and reason."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        user, report, status = request.user, None, 200
        if request.method == "POST":
            chosen = request.POST.get("collectivite", "")
            own = {str(pk) for pk in access.collectivite_ids(user)}
            if chosen and not access.is_network_admin(user) and chosen not in own:
                # Another collectivité's grants: never, whatever the form would say.
                raise PermissionDenied("Vous ne pouvez importer que pour votre collectivité.")
            form = UploadForm(request.POST, request.FILES, user=user)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                report = services.import_grants(
                    upload,
                    name=upload.name,
                    collectivite=form.cleaned_data["collectivite"],
                    user=user,
                    source_url=form.cleaned_data["source_url"],
                    publish=form.cleaned_data["publish"],
                )
                if report.ok:
                    self.message_user(request, report.summary(), messages.SUCCESS)
                    if report.grant_file is not None:
                        return redirect("admin:grants_grantfile_change", report.grant_file.pk)
                    return redirect("admin:grants_grantfile_changelist")
            status = 400
        else:
            form = UploadForm(user=user)
        context = {
            **self.admin_site.each_context(request),
            "title": "Importer un fichier de subventions",
            "opts": self.model._meta,
            "form": form,
            "report": report,
            "schema_name": schema.NAME,
            "schema_url": schema.SCHEMA_URL,
        }
        return TemplateResponse(
            request, "admin/grants/grantfile/upload.html", context, status=status
        )


class MatchFilter(admin.SimpleListFilter):
    title = "rapprochement"
    parameter_name = "rapprochement"

    def lookups(self, request, model_admin):
        return [
            ("non-rapproche", "Bénéficiaire non rapproché"),
            ("rapproche", "Rapproché d'une structure"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "non-rapproche":
            return queryset.unmatched()
        if self.value() == "rapproche":
            return queryset.filter(beneficiary__isnull=False)
        return queryset


@admin.register(Grant)
class GrantAdmin(BaseAdmin):
    """Grants, read-only (a correction is a new upload of the file), scoped to the
    user's collectivités."""

    # Its records are those of the user's collectivités (essdir.E002 checks the rule).
    scoped_by_owner = True

    list_display = [
        "beneficiary_name",
        "beneficiary_siret",
        "beneficiary_rna",
        "received",
        "convention_date",
        "collectivite",
        "beneficiary",
        "match_kind",
    ]
    list_filter = [
        MatchFilter,
        "year",
        "match_kind",
        ("collectivite", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = [
        "beneficiary_name",
        "beneficiary_siret",
        "beneficiary_rna",
        "decision_reference",
        "purpose",
    ]
    list_select_related = ["collectivite", "beneficiary"]
    show_full_result_count = False
    list_per_page = 50
    actions = ["rematch"]

    def get_queryset(self, request):
        return access.scoped(request.user, super().get_queryset(request))

    def _member(self, request, obj=None) -> bool:
        user = request.user
        if access.is_network_admin(user):
            return True
        return access.is_member(user) and (obj is None or access.in_scope(user, obj))

    def has_module_permission(self, request):
        return self._member(request)

    def has_view_permission(self, request, obj=None):
        return self._member(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Rapprocher à nouveau des structures (SIRET, SIREN, RNA)")
    def rematch(self, request, queryset):
        read, changed = services.rematch(queryset)
        self.message_user(
            request,
            f"{read} subvention(s) relue(s), {changed} rapprochement(s) modifié(s).",
            messages.SUCCESS,
        )

    rematch.allowed_permissions = ("view",)
