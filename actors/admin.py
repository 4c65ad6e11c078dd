from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse

from actors import derived, services
from actors.models import (
    Actor,
    ActorPartnership,
    ActorProposal,
    Establishment,
    ProposalStatus,
    SchemeRole,
)
from territories import access
from territories.admin import (
    BaseAdmin,
    ScopedAdmin,
    ScopedInline,
    publicly_referable,
    refresh_search,
)
from territories.models import Collectivite


class PartnershipInline(ScopedInline, admin.TabularInline):
    model = ActorPartnership
    extra = 0


class SchemeRoleInline(ScopedInline, admin.TabularInline):
    model = SchemeRole
    extra = 0
    autocomplete_fields = ["scheme"]


# The facts only the SIRENE import writes: shown, never edited (actors/sirene/importer.py).
SIRENE_FIELDS = [
    "official_name",
    "legal_category",
    "naf_code",
    "rna",
    "employees_band",
    "sirene_created_on",
    "sirene_state",
    "sirene_processed_on",
    "sirene_imported_at",
    "establishment_list",
]
ESTABLISHMENTS_IN_ADMIN = 50


@admin.register(Actor)
class ActorAdmin(ScopedAdmin):
    owner_field = None
    list_display = ["name", "family", "territory", "status", "hidden", "checked_at"]
    list_filter = ["status", "hidden", "sirene_state", "family", "subtype", "is_network", "themes"]
    search_fields = ["name", "slug", "siren", "siret"]
    list_select_related = ["territory"]
    autocomplete_fields = ["territory", "member_of"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["themes", "sources"]
    readonly_fields = SIRENE_FIELDS
    inlines = [PartnershipInline, SchemeRoleInline]
    show_full_result_count = False
    actions = [*ScopedAdmin.actions, "hide", "show"]

    def get_fieldsets(self, request, obj=None):
        sirene = (
            "Répertoire SIRENE (INSEE)",
            {
                "fields": SIRENE_FIELDS,
                "description": "Faits officiels tenus à jour par l'import du répertoire "
                "SIRENE, qui ne modifie jamais les autres champs. Pour compléter une "
                "fiche existante, saisissez son SIREN : le prochain import la remplit.",
            },
        )
        return self.ordered_fieldsets(list(self.get_fields(request, obj)), [sirene])

    @admin.display(description="établissements (SIRENE)")
    def establishment_list(self, obj):
        """The establishments of the structure, read-only, at most ESTABLISHMENTS_IN_ADMIN."""
        if obj is None or obj.pk is None:
            return "—"
        establishments = Establishment.objects.filter(actor=obj).select_related("commune")
        shown = list(
            establishments.order_by("-is_active", "-is_head_office", "postal_code", "siret")[
                :ESTABLISHMENTS_IN_ADMIN
            ]
        )
        total = establishments.count() if len(shown) == ESTABLISHMENTS_IN_ADMIN else len(shown)
        return render_to_string(
            "actors/_admin_establishments.html",
            {"establishments": shown, "others": total - len(shown)},
        )

    @admin.action(description="Masquer de l'annuaire")
    def hide(self, request, queryset):
        count = services.set_hidden(actors=queryset, hidden=True)
        self.message_user(request, f"{count} structure(s) masquée(s).", messages.SUCCESS)

    @admin.action(description="Afficher dans l'annuaire")
    def show(self, request, queryset):
        count = services.set_hidden(actors=queryset, hidden=False)
        self.message_user(
            request, f"{count} structure(s) de nouveau affichée(s).", messages.SUCCESS
        )

    def get_queryset(self, request):
        # Autocompletes (a network to join, a partner of an event) offer published actors too.
        if request.resolver_match and request.resolver_match.url_name == "autocomplete":
            return publicly_referable(request.user, Actor, Actor.objects.all())
        return super().get_queryset(request)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        actor, user = form.instance, request.user
        derived.refresh_actor_places(actor_ids=[actor.pk])
        if not access.in_scope(user, actor):
            # Keep the editor in charge of what they created: attach it to their collectivité.
            collectivite = Collectivite.objects.get(pk=min(access.collectivite_ids(user)))
            ActorPartnership.objects.get_or_create(actor=actor, collectivite=collectivite)
            refresh_search(actor)
            self.message_user(
                request,
                f"La structure a été rattachée à {collectivite} pour que vous puissiez la gérer.",
                messages.INFO,
            )


class RejectionForm(forms.Form):
    reason = forms.CharField(label="Motif du refus", widget=forms.Textarea(attrs={"rows": 4}))


@admin.register(ActorProposal)
class ActorProposalAdmin(BaseAdmin):
    """The moderation queue of the public proposals."""

    # Its records are those of the user's collectivités (essdir.E002 checks the rule).
    scoped_by_owner = True

    list_display = ["name", "territory", "submitter_name", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "submitter_name", "submitter_email"]
    list_select_related = ["territory"]
    readonly_fields = [
        "status",
        "actor",
        "rejection_reason",
        "created_at",
        "moderated_at",
        "moderated_by",
    ]
    autocomplete_fields = ["territory"]
    change_form_template = "admin/actors/actorproposal/change_form.html"

    def get_queryset(self, request):
        return access.scoped(request.user, super().get_queryset(request))

    def _may(self, request, obj=None):
        user = request.user
        if access.is_network_admin(user):
            return True
        return access.is_member(user) and (obj is None or access.in_scope(user, obj))

    def has_module_permission(self, request):
        return self._may(request)

    def has_view_permission(self, request, obj=None):
        return self._may(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may(request, obj) and (obj is None or obj.status == ProposalStatus.PENDING)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Rejected proposals are kept with their reason.
        return access.is_network_admin(request.user)

    def get_urls(self):
        return [
            path(
                "<int:pk>/accepter/",
                self.admin_site.admin_view(self.approve_view),
                name="actors_actorproposal_approve",
            ),
            path(
                "<int:pk>/refuser/",
                self.admin_site.admin_view(self.reject_view),
                name="actors_actorproposal_reject",
            ),
            *super().get_urls(),
        ]

    def _pending(self, request, pk) -> ActorProposal:
        proposal = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, proposal):
            raise PermissionDenied
        return proposal

    def approve_view(self, request, pk):
        proposal = self._pending(request, pk)
        if request.method != "POST":
            return redirect(reverse("admin:actors_actorproposal_change", args=[pk]))
        actor = services.approve_proposal(proposal=proposal, moderator=request.user)
        self.message_user(request, f"« {actor} » est publiée.", messages.SUCCESS)
        return redirect(reverse("admin:actors_actor_change", args=[actor.pk]))

    def reject_view(self, request, pk):
        proposal = self._pending(request, pk)
        form = RejectionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            services.reject_proposal(
                proposal=proposal, reason=form.cleaned_data["reason"], moderator=request.user
            )
            self.message_user(request, f"« {proposal} » est refusée.", messages.SUCCESS)
            return redirect(reverse("admin:actors_actorproposal_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Refuser « {proposal} »",
            "form": form,
            "proposal": proposal,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/actors/actorproposal/reject.html", context)
