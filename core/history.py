"""The back-office history (django-simple-history) in French: field labels, "(vide)" for
an empty value, amounts in euros, yes/no, choices by their labels, deleted records named."""

import dataclasses
import datetime
import decimal

from django.db import models
from django.utils import formats
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper, ObjDiffDisplay

from core.text import euros

EMPTY = "(vide)"


class FrenchDiffDisplay(ObjDiffDisplay):
    def shortened_str(self, prefix: str, num_skipped_chars: int, suffix: str) -> str:
        return f"{prefix}[… {num_skipped_chars} caractères …]{suffix}"


class FrenchHistoryHelper(HistoricalRecordContextHelper):
    """The changes of the history in French: labels, "(vide)", amounts in euros, yes/no."""

    def format_delta_change(self, change):
        formatted = super().format_delta_change(change)
        label = str(self.model._meta.get_field(change.field).verbose_name)
        if self._is_amount(change.field):
            label = label.removesuffix(" (€)")
        return dataclasses.replace(formatted, field=label[:1].upper() + label[1:])

    def _is_amount(self, name: str) -> bool:
        field = self.model._meta.get_field(name)
        return isinstance(
            field, (models.IntegerField, models.DecimalField, models.FloatField)
        ) and str(field.verbose_name).endswith("(€)")

    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        field = self.model._meta.get_field(change.field)
        if value is None or value == "" or value == []:
            return EMPTY
        if isinstance(value, list):
            return ", ".join(str(self._related(item)) for item in value)
        if isinstance(value, DeletedObject):
            return self._related(value)
        if isinstance(value, bool):
            return "oui" if value else "non"
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if self._is_amount(change.field):
            return euros(value)
        if isinstance(value, (datetime.date, datetime.time, decimal.Decimal, float)):
            return formats.localize(value)
        return value

    @staticmethod
    def _related(value):
        if isinstance(value, DeletedObject):
            return f"{value.model._meta.verbose_name} supprimé·e (n° {value.pk})"
        return value

    def get_obj_diff_display(self):
        return FrenchDiffDisplay(max_length=self.max_displayed_delta_change_chars)
