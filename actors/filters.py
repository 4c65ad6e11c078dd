import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from actors.caching import NETWORKS
from actors.map import BBoxField
from actors.models import Actor, ActorPlace, ActorThemeListing, Family, Subtype
from core.geo import BBox
from core.pagination import bounded_count
from territories.caching import FAMILY as TERRITORIES
from territories.filters import BaseFilterSet
from territories.models import Collectivite, Theme


class BBoxFilter(django_filters.Filter):
    """Keeps the actors with an active establishment inside a zone of the map."""

    field_class = BBoxField

    def filter(self, qs, value):
        if value is None:
            return qs
        return qs.with_establishment_in(value)


# Up to how many structures in all a legal form is rare (ActorFilterSet._rare_form).
RARE_FORM = 1_000


class ActorFilterSet(BaseFilterSet):
    theme = django_filters.ModelChoiceFilter(
        label=_("Thème"),
        queryset=Theme.objects.all(),
        to_field_name="slug",
        field_name="themes",
        empty_label=_("Tous"),
    )
    famille = django_filters.ChoiceFilter(
        label=_("Famille de l'ESS"),
        field_name="family",
        choices=Family.choices,
        empty_label=_("Toutes"),
    )
    type = django_filters.ChoiceFilter(
        label=_("Type particulier"),
        field_name="subtype",
        choices=Subtype.choices,
        empty_label=_("Tous"),
    )
    forme = django_filters.CharFilter(
        label=_("Forme juridique"), field_name="legal_form", lookup_expr="iexact", max_length=120
    )
    reseau = django_filters.ModelChoiceFilter(
        label=_("Membre du réseau"),
        queryset=Actor.objects.published()
        .filter(members__isnull=False)
        .distinct()
        .order_by("name")
        .only("pk", "slug", "name"),
        to_field_name="slug",
        field_name="member_of",
        empty_label=_("Tous"),
    )
    partenaire = django_filters.ModelChoiceFilter(
        label=_("Partenaire de"),
        queryset=Collectivite.objects.published().order_by("name").only("pk", "slug", "name"),
        to_field_name="slug",
        field_name="partner_of",
        empty_label=_("Toutes"),
    )
    # Set by a click on a cluster of the map (actors/map.py): "west,south,east,north".
    # Set by a click on a map cluster, shown as "Retirer cette zone", kept by the form.
    bbox = BBoxFilter(label=_("Zone de la carte (ouest,sud,est,nord)"), widget=forms.HiddenInput)
    tri = django_filters.OrderingFilter(
        label=_("Trier par"),
        fields=(("name", "nom"), ("created_at", "recent"), ("id", "id")),
        # django-filter reads an ascending label by model field and a descending one by
        # parameter ("-nom"): each of the six choices is named here, or the menu would say
        # "Nom (A → Z) (décroissant)" and "Recent".
        field_labels={
            "name": _("Nom (A → Z)"),
            "-nom": _("Nom (Z → A)"),
            "created_at": _("Plus anciens d'abord"),
            "-recent": _("Plus récents d'abord"),
            "id": _("Ordre d'enregistrement"),
            "-id": _("Ordre d'enregistrement inversé"),
        },
        empty_label=_("Nom (A → Z)"),
    )

    # What the options read (core.caching): themes and collectivités, networks.
    option_tags = (TERRITORIES, NETWORKS)

    class Meta:
        model = Actor
        fields = [
            "q",
            "territoire",
            "theme",
            "famille",
            "type",
            "forme",
            "reseau",
            "partenaire",
            "bbox",
            "tri",
        ]

    def listing_keys(self):
        """The ids of the listed structures in the list's order, read from one range of an
        index: the places' (ActorPlace.objects.listing_keys) when the list is a territory's
        public structures by name, of a family, a subtype, a legal form or all, and nothing
        else, the themes' lists' (ActorThemeListing.objects.listing_keys) when it is a
        theme's; else None (the paginator then counts and pages the filtered structures
        themselves)."""
        if not (self.is_bound and self.form.is_valid()):
            return None
        data = self.form.cleaned_data
        narrowing = {name for name, value in data.items() if value not in (None, "", [])}
        order = list(data.get("tri") or [])
        if order not in ([], ["name"], ["-nom"]):
            return None
        # What the listings carry besides the order (actors.models.derived.PublicListing).
        kept = {
            "descending": order == ["-nom"],
            "family": data.get("famille") or "",
            "subtype": data.get("type") or "",
            "legal_form": data.get("forme") or "",
        }
        narrowing -= {"tri", "famille", "type", "forme"}
        if kept["legal_form"] and self._rare_form(kept["legal_form"]):
            # A form few structures have: reached from the structures' index of legal
            # forms, where a large territory's range would be walked whole for them
            # (Île-de-France's 44 000 places: 25 ms for a form none of them has, 1.3).
            return None
        if narrowing == {"territoire"}:
            return ActorPlace.objects.listing_keys(data["territoire"], **kept)
        if narrowing == {"theme"}:
            return ActorThemeListing.objects.listing_keys(data["theme"], **kept)
        if narrowing == {"territoire", "theme"}:
            # The territory's range, its structures of the theme kept by their listing:
            # a semi-join of two index ranges, where the structures were read one by one.
            holding = ActorThemeListing.objects.filter(theme=data["theme"], public=True)
            places = ActorPlace.objects.listing_keys(data["territoire"], **kept)
            return places.filter(actor__in=holding.values("actor_id"))
        return None

    @staticmethod
    def _rare_form(legal_form: str) -> bool:
        """Whether at most RARE_FORM structures in all have `legal_form` (whatever its case):
        counted from the structures' index of legal forms (actor_legal_form), at most that
        many entries and one more."""
        having = Actor.objects.filter(legal_form__iexact=legal_form)
        return bounded_count(having, RARE_FORM) <= RARE_FORM

    @property
    def map_zone(self) -> BBox | None:
        """The zone of the map the list is narrowed to, once the filters are valid."""
        if not (self.is_bound and self.form.is_valid()):
            return None
        return self.form.cleaned_data.get("bbox")
