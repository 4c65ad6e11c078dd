"""Reference data every record of the directory draws on: the documents its facts come
from (`Source`) and the themes of the taxonomy shared by schemes, actors and events (`Theme`).
"""

from __future__ import annotations

from django.db import models
from django.db.models.query import ModelIterable

from core.text import collation_key


class Source(models.Model):
    """A document the directory's facts come from, and how current it is."""

    code = models.CharField("code", max_length=20, unique=True)
    title = models.CharField("titre", max_length=300)
    publisher = models.CharField("éditeur", max_length=200, blank=True)
    file = models.CharField("fichier", max_length=200, blank=True)
    url = models.URLField("adresse", blank=True)
    as_of = models.CharField(
        "état au", max_length=40, blank=True, help_text="Date ou année dont datent les faits."
    )
    as_of_note = models.TextField("précision sur la date", blank=True)

    class Meta:
        verbose_name = "source"
        verbose_name_plural = "sources"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.title


class FrenchOrderIterable(ModelIterable):
    """Themes in French dictionary order ("Économie…" after "Culture", not after "Vie
    associative" as the database's code-point order has it) when the query keeps the
    default order and is not sliced: lists, prefetched themes, choices of the filters."""

    def __iter__(self):
        query = self.queryset.query
        if query.order_by or not query.default_ordering or query.is_sliced:
            yield from super().__iter__()
            return
        yield from sorted(super().__iter__(), key=lambda theme: collation_key(theme.name))


class ThemeQuerySet(models.QuerySet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._iterable_class = FrenchOrderIterable


class Theme(models.Model):
    """A theme of the shared taxonomy (schemes, actors, events)."""

    slug = models.SlugField("identifiant", max_length=60, unique=True)
    name = models.CharField("nom", max_length=120, unique=True)

    objects = ThemeQuerySet.as_manager()

    class Meta:
        verbose_name = "thème"
        verbose_name_plural = "thèmes"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
