from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import DetailView, FormView, TemplateView

from actors.filters import ActorFilterSet
from actors.forms import ActorProposalForm
from actors.models import Actor
from actors.services import RateLimited, submit_proposal
from territories.caching import PublicPageCacheMixin
from territories.views import FilteredListView


class ActorListView(FilteredListView):
    filterset_class = ActorFilterSet
    template_name = "actors/actor_list.html"

    def get_queryset(self):
        return Actor.objects.published().for_list().order_by("name", "id")


class ActorDetailView(PublicPageCacheMixin, DetailView):
    template_name = "actors/actor_detail.html"
    context_object_name = "actor"

    def get_queryset(self):
        return Actor.objects.visible_to(self.request.user).for_detail()

    def get_context_data(self, **kwargs):
        from events.models import Event

        context = super().get_context_data(**kwargs)
        events = Event.objects.published().filter(participations__actor=self.object)
        today = timezone.localdate()
        ids = events.values("pk")
        context["upcoming_events"] = (
            Event.objects.filter(pk__in=ids).upcoming(today).for_list()[:10]
        )
        context["past_events"] = Event.objects.filter(pk__in=ids).past(today).for_list()[:10]
        return context


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
