"""What the directory's records share: the sources they cite, their attachment to a
territory, and their ownership by a collectivité (whose staff manage and preview them).

These are the abstract bases and querysets the other modules (and other apps) build on.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from core.publication import PublicationStatus, Publishable, PublishableQuerySet
from territories import access
from territories.models.geography import Territory, around_condition
from territories.models.reference import Source


class SourcedRecord(Publishable):
    """A record of the public pages that keeps the documents its facts come from."""

    sources = models.ManyToManyField(Source, verbose_name="sources", blank=True, related_name="+")

    class Meta:
        abstract = True


class TerritorialQuerySet(models.QuerySet):
    """Records attached to one territory through their `territory` foreign key."""

    def in_territory(self, territory: Territory):
        """Records whose territory is `territory` or lies inside it."""
        return self.filter(territory__container_links__container=territory)

    def around(self, territory: Territory):
        """Records whose territory contains `territory` or lies inside it (what acts there)."""
        return self.filter(around_condition("territory", territory))


class OwnedQuerySet(PublishableQuerySet):
    """Records that collectivités own: their staff manage them and preview their drafts.

    Each model states its rule in `owned_by()` (and `is_owned_by()` on the instance, for
    a deleted record restored from its history); the `essdir.E002` check makes sure of it.
    """

    def owned_by(self, collectivites):
        """Records owned by one of `collectivites` (ids, instances or a queryset)."""
        raise NotImplementedError(f"{self.model.__name__} states no ownership rule.")

    def visible_to(self, user):
        """Published records, plus those the staff member `user` may preview."""
        if access.is_network_admin(user):
            return self
        own = access.collectivite_ids(user)
        if not own:
            return self.published()
        owned = self.model._default_manager.owned_by(own).values("pk")
        return self.filter(Q(pk__in=self.published().values("pk")) | Q(pk__in=owned))


class CollectiviteRecordQuerySet(OwnedQuerySet):
    """Records of one collectivité (its contacts, budgets, schemes)."""

    def published(self):
        """Published records of published collectivités."""
        return super().published().filter(collectivite__status=PublicationStatus.PUBLISHED)

    @staticmethod
    def published_through(relation: str) -> Q:
        """published()'s condition on the records `relation` leads to, for a query of
        another model that joins them anyway: their joined rows filtered, where
        `relation__in=published()` joined them again in a subquery (a territory's
        contacts: PostgreSQL planned it in 0.85 ms, this in 0.26)."""
        return Q(
            **{
                f"{relation}__status": PublicationStatus.PUBLISHED,
                f"{relation}__collectivite__status": PublicationStatus.PUBLISHED,
            }
        )

    def owned_by(self, collectivites):
        """Records of one of `collectivites`."""
        return self.filter(collectivite__in=collectivites)

    def of(self, collectivite):
        """The records of `collectivite`."""
        return self.filter(collectivite=collectivite)


class CollectiviteRecord(SourcedRecord):
    """A record that belongs to the collectivité named in its `collectivite` field."""

    class Meta:
        abstract = True

    def is_owned_by(self, collectivite_ids: set[int]) -> bool:
        return self.collectivite_id in collectivite_ids
