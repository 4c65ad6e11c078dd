"""Contacts: the officers and elected representatives of a collectivité, and the
territories each of them serves (what the contact finder searches).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.search import refresh_search_context, text_search
from territories.models.collectivites import Collectivite
from territories.models.geography import Territory, around_condition
from territories.models.records import CollectiviteRecord, CollectiviteRecordQuerySet


class ContactRole(models.TextChoices):
    # Values sort officers before elected representatives.
    OFFICER = "agent", _("Agent·e")
    ELECTED = "elu", _("Élu·e")


class ContactQuerySet(CollectiviteRecordQuerySet):
    def around(self, territory: Territory):
        """Contacts serving a territory that contains `territory` or lies inside it."""
        served = self.model.territories.through.objects.filter(
            around_condition("territory", territory)
        )
        return self.filter(pk__in=served.values("contact_id"))

    def serving_links(self, commune_ids: list[int]):
        """(contact, commune, territory, its rank, its size, the contact's collectivité) for
        every territory through which one of these contacts serves one of `commune_ids`."""
        return self.filter(territories__member_links__member__in=commune_ids).values_list(
            "pk",
            "territories__member_links__member",
            "territories",
            "territories__rank",
            "territories__commune_count",
            "collectivite",
        )

    def by_importance(self):
        """The central contact first, then officers before elected representatives."""
        return self.order_by("-is_central", "role", "order", "pk")

    def search(self, query: str):
        """Contacts matching `query` (name, function, service), best first."""
        return text_search(
            self,
            query,
            [("name", "A"), ("title", "B"), ("service", "B"), ("search_context", "B")],
        )

    def for_search(self):
        return self.select_related("collectivite").prefetch_related("territories")

    def refresh_search_context(self) -> int:
        """Keep what contacts are found by: their collectivité and the territories served."""
        return refresh_search_context(
            self.select_related("collectivite").prefetch_related("territories"),
            lambda contact: [
                contact.collectivite.name,
                contact.collectivite.short_name,
                *(territory.name for territory in contact.territories.all()),
            ],
        )

    def for_list(self):
        return self.select_related("collectivite").prefetch_related("territories")


class Contact(CollectiviteRecord):
    collectivite = models.ForeignKey(
        Collectivite, verbose_name="collectivité", on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(
        "nom", max_length=200, blank=True, help_text="Laisser vide si la source ne le donne pas."
    )
    role = models.CharField("rôle", max_length=10, choices=ContactRole.choices)
    title = models.CharField("fonction", max_length=300, blank=True)
    service = models.CharField("service", max_length=300, blank=True)
    phone = models.CharField("téléphone", max_length=40, blank=True)
    email = models.EmailField("courriel", blank=True)
    is_central = models.BooleanField("contact ESS principal", default=False)
    is_ctes = models.BooleanField(
        "chargé·e territorial·e d'économie solidaire (CTES)", default=False
    )
    territories = models.ManyToManyField(
        Territory, verbose_name="territoires servis", related_name="contacts", blank=True
    )
    order = models.PositiveSmallIntegerField("ordre", default=0)

    # What the record is found by besides its own fields (refresh_search_context()).
    search_context = models.TextField(blank=True, default="", editable=False)
    objects = ContactQuerySet.as_manager()

    history = HistoricalRecords(m2m_fields=[territories])

    class Meta:
        verbose_name = "contact"
        verbose_name_plural = "contacts"
        ordering = ["collectivite", "order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(name="") | ~Q(title=""), name="contact_has_name_or_title"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.title

    def clean(self) -> None:
        if not self.name and not self.title:
            raise ValidationError("Indiquez au moins un nom ou une fonction.")
