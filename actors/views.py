from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView, View

from actors import caching
from actors.exports import ACTORS
from actors.filters import ActorFilterSet
from actors.forms import ActorProposalForm
from actors.map import MapForm, establishments_geojson
from actors.models import Actor
from actors.services import RateLimited, submit_proposal
from core.caching import PublicPageCacheMixin
from core.clients import client_address
from core.export_views import ExportView
from core.geo import BBox
from core.views import FilteredListView, query_string


class ActorListView(FilteredListView):
    filterset_class = ActorFilterSet
    template_name = "actors/actor_list.html"

    def get_cache_tags(self):
        return caching.list_tags(self.request)

    def get_queryset(self):
        return Actor.objects.published().for_list().order_by("name", "id")


class ActorProposalView(FormView):
    form_class = ActorProposalForm
    template_name = "actors/proposal_form.html"

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        proposal = form.save(commit=False)
        try:
            submit_proposal(
                proposal=proposal,
                themes=list(form.cleaned_data["themes"]),
                address=client_address(self.request),
            )
        except RateLimited:
            form.add_error(
                None,
                _(
                    "Vous avez déjà envoyé plusieurs propositions depuis une heure. "
                    "Réessayez plus tard : votre saisie est conservée ci-dessous."
                ),
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        messages.success(
            self.request,
            _(
                "Merci ! Votre proposition « %(name)s » a bien été reçue. Elle sera publiée "
                "après vérification par l'équipe."
            )
            % {"name": proposal.name},
        )
        return redirect("actors:proposal_thanks")


class ActorProposalThanksView(TemplateView):
    template_name = "actors/proposal_thanks.html"


class ActorExportView(ExportView):
    filterset_class = ActorFilterSet
    export = ACTORS

    def get_queryset(self):
        return Actor.objects.published().for_export().order_by("name", "id")


class ActorMapView(PublicPageCacheMixin, View):
    """`/acteurs/carte.geojson`: the establishments of the list's actors (same filters) inside
    the zone `bbox` shown at `zoom`, clustered when many (actors/map.py); 400 on bad input."""

    def get(self, request, *args, **kwargs):
        form = MapForm(request.GET)
        # On the map, `bbox` is the zone to draw; on the list, the zone the actors are in.
        filters = request.GET.copy()
        filters.pop("bbox", None)
        filterset = ActorFilterSet(filters, queryset=Actor.objects.published(), request=request)
        if not form.is_valid() or filterset.errors:
            errors = [*form.errors.values(), *filterset.errors.values()]
            message = "; ".join(error for field_errors in errors for error in field_errors)
            return JsonResponse(
                {"error": _("Paramètres invalides : %(errors)s") % {"errors": message}},
                status=400,
                json_dumps_params={"ensure_ascii": False},
            )
        list_url = reverse("actors:list")

        def cluster_url(zone: BBox) -> str:
            return f"{list_url}?{query_string(request.GET, bbox=str(zone), zoom=None)}"

        # Unfiltered (the national view, mostly), every public actor: a cheaper query.
        narrowed = any(
            value not in (None, "", [])
            for name, value in filterset.form.cleaned_data.items()
            if name != "tri"
        )
        collection = establishments_geojson(
            filterset.qs if narrowed else None,
            form.cleaned_data["bbox"] or BBox.world(),
            form.cleaned_data["zoom"],
            cluster_url=cluster_url,
        )
        return JsonResponse(
            collection,
            content_type="application/geo+json",
            json_dumps_params={"ensure_ascii": False, "separators": (",", ":")},
        )
