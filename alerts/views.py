from urllib.parse import urlencode

from django.conf import settings
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import DetailView, FormView, TemplateView

from alerts.forms import DeleteForm, SubscriptionForm
from alerts.models import AlertList, Subscription
from alerts.searches import InvalidSearch, ListForm, page_url, saved_search
from alerts.services import RateLimited, confirm, subscribe, unsubscribe
from core.clients import client_address
from core.views import query_string
from territories.models import Territory


class SavedSearchMixin:
    """A page about the saved search its query string names (`liste` and the list's
    filters); an unknown list or invalid filters answer 400 with the reasons."""

    def dispatch(self, request, *args, **kwargs):
        list_form = ListForm(request.GET)
        try:
            if not list_form.is_valid():
                raise InvalidSearch([e for errors in list_form.errors.values() for e in errors])
            self.search = saved_search(
                search_list=list_form.cleaned_data["liste"], params=request.GET
            )
        except InvalidSearch as error:
            # A territory typed ambiguously: the same alert, for each candidate.
            choices = [
                (t, f"{request.path}?{query_string(request.GET, territoire=t.short_slug)}")
                for t in error.territories
            ]
            context = {"errors": error.messages, "choices": choices}
            return render(request, "alerts/invalid_search.html", context, status=400)
        return super().dispatch(request, *args, **kwargs)

    def search_query_string(self) -> str:
        """The normalised query string of the search, with its list."""
        query = urlencode({"liste": self.search.search_list})
        return f"{query}&{self.search.query}" if self.search.query else query

    def get_context_data(self, **kwargs):
        return super().get_context_data(search=self.search, search_url=self.search.url(), **kwargs)


@method_decorator(never_cache, name="dispatch")
class AlertCreateView(SavedSearchMixin, FormView):
    """/alertes/creer/?liste=…&<filters>: subscribe to what is new in a list or territory."""

    form_class = SubscriptionForm
    template_name = "alerts/subscription_form.html"

    def get_context_data(self, **kwargs):
        action = f"{reverse('alerts:create')}?{self.search_query_string()}"
        return super().get_context_data(
            action=action, retention_days=settings.ALERTS_UNCONFIRMED_DAYS, **kwargs
        )

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        try:
            subscribe(
                email=form.cleaned_data["email"],
                search=self.search,
                frequency=form.cleaned_data["frequency"],
                address=client_address(self.request),
                language=translation.get_language(),
            )
        except RateLimited:
            form.add_error(
                None,
                _(
                    "Trop de demandes d'alerte pour cette adresse ou depuis votre connexion. "
                    "Réessayez dans une heure."
                ),
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return redirect(f"{reverse('alerts:sent')}?{self.search_query_string()}")


class AlertSentView(SavedSearchMixin, TemplateView):
    """After a request: check your inbox (the same whether the address was known or not)."""

    template_name = "alerts/sent.html"


def territories_of(alerts) -> dict:
    """The territory of each territory page's alert, by the alert's pk, in one query: the
    page is linked at its canonical address rather than through the short form's redirect."""
    slugs = {
        alert.pk: QueryDict(alert.query).get("territoire", "")
        for alert in alerts
        if alert.search_list == AlertList.TERRITORY
    }
    if not slugs:
        return {}
    found = Territory.objects.filter(short_slug__in=set(slugs.values())).in_bulk(
        field_name="short_slug"
    )
    return {pk: found[slug] for pk, slug in slugs.items() if slug in found}


class SubscriptionByTokenMixin:
    """A page reached from a link of an e-mail: an unknown token answers 404."""

    model = Subscription
    slug_field = "token"
    slug_url_kwarg = "token"
    context_object_name = "subscription"


@method_decorator(never_cache, name="dispatch")
class AlertConfirmView(SubscriptionByTokenMixin, DetailView):
    """The link of the confirmation e-mail: a button confirms (mail scanners follow links,
    they do not press buttons)."""

    template_name = "alerts/confirm.html"

    def post(self, request, *args, **kwargs):
        self.object = confirm(subscription=self.get_object())
        return self.render_to_response(self.get_context_data(just_confirmed=True))


@method_decorator(never_cache, name="dispatch")
class AlertManageView(SubscriptionByTokenMixin, DetailView):
    """Every alert of the address, each with its delete button (no account needed)."""

    template_name = "alerts/manage.html"

    def subscriptions(self):
        return Subscription.objects.of_address(self.object.email)

    def get_context_data(self, **kwargs):
        # One small form per alert, without ids (they would repeat on the page).
        none = Subscription.objects.none()
        alerts = list(self.subscriptions())
        territories = territories_of(alerts)
        rows = [
            (
                alert,
                page_url(alert.search_list, alert.query, territories.get(alert.pk)),
                DeleteForm(initial={"alerte": alert.token}, subscriptions=none, auto_id=False),
            )
            for alert in alerts
        ]
        return super().get_context_data(rows=rows, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = DeleteForm(request.POST, subscriptions=self.subscriptions())
        if not form.is_valid():
            context = self.get_context_data(delete_errors=form.errors)
            return self.render_to_response(context, status=400)
        deleted = form.cleaned_data["alerte"]
        deleted_own = deleted.pk == self.object.pk
        unsubscribe(subscription=deleted)
        if deleted_own:
            remaining = self.subscriptions().first()
            if remaining is None:
                return redirect("alerts:unsubscribed")
            return redirect(remaining.get_manage_path())
        return redirect(self.object.get_manage_path())


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(never_cache, name="dispatch")
class AlertUnsubscribeView(SubscriptionByTokenMixin, DetailView):
    """The unsubscribe link of every e-mail: the page asks to confirm; a POST deletes at
    once, as mail clients do for one-click unsubscribe (RFC 8058, so exempt from CSRF: the
    token is the proof)."""

    template_name = "alerts/unsubscribe.html"

    def post(self, request, *args, **kwargs):
        unsubscribe(subscription=self.get_object())
        return render(request, "alerts/unsubscribed.html")


class AlertUnsubscribedView(TemplateView):
    template_name = "alerts/unsubscribed.html"
