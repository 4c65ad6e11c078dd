import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.test import RequestFactory
from django.views.generic import DetailView

from core.statements import Statement
from core.views import KeptObjectMixin
from territories.models import Action, Collectivite
from tests.factories import CollectiviteFactory, ThemeFactory

pytestmark = pytest.mark.django_db


def by_slug(*, slug: str):
    return Collectivite.objects.filter(slug=slug).prefetch_related("actions__themes")


class Page(KeptObjectMixin, DetailView):
    # A page that declares it reads its record's prefetches with its own reads, and then
    # reads none (as a page that returns early would): its record is complete all the same.
    public_object = Statement(by_slug, bound=("slug",))
    prefetches_with_reads = True
    model = Collectivite

    def render_to_response(self, context, **response_kwargs):
        return context


def test_a_record_whose_prefetches_the_view_did_not_read_is_completed(
    django_assert_num_queries,
):
    record = CollectiviteFactory(slug="record")
    economy = ThemeFactory(name="Économie")
    for order in range(3):
        action = Action.objects.create(collectivite=record, title=f"Action {order}", order=order)
        action.themes.set([economy])
    request = RequestFactory().get("/")
    request.user = AnonymousUser()

    # The record, its actions, their themes; nothing when its relations are read (read
    # one by one, they would take one query for the actions and one for each's themes).
    with django_assert_num_queries(3):
        context = Page.as_view()(request, slug="record")
        seen = [
            (action.title, [theme.name for theme in action.themes.all()])
            for action in context["object"].actions.all()
        ]

    assert seen == [(f"Action {order}", ["Économie"]) for order in range(3)]


def test_an_unknown_record_is_a_404():
    request = RequestFactory().get("/")
    request.user = AnonymousUser()

    with pytest.raises(Http404):
        Page.as_view()(request, slug="nobody")
