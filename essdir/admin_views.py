"""Back-office pages of the project: its home (the work waiting for its staff), the
stale-records report, "view on site"."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Count, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from actors.models import ActorProposal, ProposalStatus
from core.publication import PublicationStatus
from essdir.freshness import KEPT_MODELS, stale_records
from territories import access
from territories.models import Collectivite

# How many pending proposals the home lists by name (the rest: through the list).
PROPOSALS_SHOWN = 5


def index(request):
    """The admin's index, opening on what waits for the user (`workbench()`)."""
    return admin.site.index(request, extra_context={"workbench": workbench(request)})


def _counted(count: int, opts) -> str:
    return f"{count} {opts.verbose_name if count == 1 else opts.verbose_name_plural}"


def workbench(request) -> dict | None:
    """What waits for the user, in the records they may manage (the admin's own querysets,
    so scoped like every back-office view): drafts, records to check again (those of the
    stale-records report) and pending public proposals, each kind counted, with a link to
    its filtered change list. A constant number of queries, whatever the collectivités."""
    user = request.user
    network = access.is_network_admin(user)
    if not (network or access.is_member(user)):
        return None
    today = timezone.localdate()
    collectivites = access.collectivites_of(user)
    drafts, to_review = [], []
    for model in KEPT_MODELS:
        records = admin.site.get_model_admin(model).get_queryset(request)
        stale = access.to_review(access.kept_by(model, collectivites), today)
        counts = records.aggregate(
            drafts=Count("pk", filter=Q(status=PublicationStatus.DRAFT)),
            to_review=Count("pk", filter=Q(pk__in=stale.values("pk"))),
        )
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        if counts["drafts"]:
            drafts.append(
                {
                    "label": _counted(counts["drafts"], opts),
                    "count": counts["drafts"],
                    "url": f"{changelist}?status__exact={PublicationStatus.DRAFT}",
                }
            )
        if counts["to_review"]:
            to_review.append(
                {
                    "label": _counted(counts["to_review"], opts),
                    "count": counts["to_review"],
                    "url": f"{changelist}?verification=a-revoir",
                }
            )
    pending = (
        admin.site.get_model_admin(ActorProposal)
        .get_queryset(request)
        .filter(status=ProposalStatus.PENDING)
    )
    if network:
        scope = "tout le réseau"
    else:
        scope = ", ".join(
            Collectivite.objects.filter(pk__in=collectivites)
            .order_by("name")
            .values_list("name", flat=True)
        )
    return {
        "scope": scope,
        "drafts": drafts,
        "drafts_total": sum(row["count"] for row in drafts),
        "to_review": to_review,
        "to_review_total": sum(row["count"] for row in to_review),
        "proposals": [
            {
                "name": proposal.name,
                "territory": proposal.territory,
                "created_at": proposal.created_at,
                "url": reverse("admin:actors_actorproposal_change", args=[proposal.pk]),
            }
            for proposal in pending.select_related("territory").order_by("-created_at", "-pk")[
                :PROPOSALS_SHOWN
            ]
        ],
        "proposals_total": pending.count(),
        "proposals_url": reverse("admin:actors_actorproposal_changelist")
        + f"?status__exact={ProposalStatus.PENDING}",
        "stale_report_url": reverse("backoffice:stale_records"),
    }


def view_on_site(request, content_type_id: int, object_id: str):
    """The admin's "Voir sur le site", for the records the user may manage only.

    Django's own redirect reveals that a draft exists (and its slug) to anyone signed in
    to the admin: whoever may not manage the record gets a 404.
    """
    try:
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        obj = model._default_manager.get(pk=object_id)
    except (ObjectDoesNotExist, ValueError, TypeError, AttributeError) as error:
        raise Http404("Fiche introuvable.") from error
    # Reference data (territories, themes) has no owner: it is public.
    owned = hasattr(model._default_manager, "owned_by")
    if owned and not access.in_scope(request.user, obj):
        raise Http404("Fiche introuvable ou hors de votre périmètre.")
    return shortcut(request, content_type_id, object_id)


class StaleRecordsView(TemplateView):
    """Per collectivité, its records nobody checked for more than a year."""

    template_name = "admin/stale_records.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        if not (access.is_network_admin(user) or access.is_member(user)):
            raise PermissionDenied
        collectivites = access.scoped(user, Collectivite.objects.order_by("name"))
        return super().get_context_data(
            **admin.site.each_context(self.request),
            title="Fiches à revoir (non vérifiées depuis plus d'un an)",
            report=stale_records(collectivites, timezone.localdate()),
            **kwargs,
        )
