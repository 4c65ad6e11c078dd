from django.contrib import messages
from django.shortcuts import redirect
from django.views.generic import FormView, TemplateView

from actors.exports import ACTORS
from actors.filters import ActorFilterSet
from actors.forms import ActorProposalForm
from actors.models import Actor
from actors.services import RateLimited, submit_proposal
from essdir.core.exports import ExportView
from essdir.core.views import FilteredListView


class ActorListView(FilteredListView):
    filterset_class = ActorFilterSet
    template_name = "actors/actor_list.html"

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
                address=self.request.META.get("REMOTE_ADDR", ""),
            )
        except RateLimited:
            form.add_error(
                None,
                "Vous avez déjà envoyé plusieurs propositions depuis une heure. "
                "Réessayez plus tard : votre saisie est conservée ci-dessous.",
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        messages.success(
            self.request,
            f"Merci ! Votre proposition « {proposal.name} » a bien été reçue. Elle sera publiée "
            "après vérification par l'équipe.",
        )
        return redirect("actors:proposal_thanks")


class ActorProposalThanksView(TemplateView):
    template_name = "actors/proposal_thanks.html"


class ActorExportView(ExportView):
    filterset_class = ActorFilterSet
    export = ACTORS

    def get_queryset(self):
        return Actor.objects.published().for_export().order_by("name", "id")
