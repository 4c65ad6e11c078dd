"""Back-office pages of the project: the stale-records report, "view on site"."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404
from django.utils import timezone
from django.views.generic import TemplateView

from essdir.freshness import stale_records
from territories import access
from territories.models import Collectivite


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
