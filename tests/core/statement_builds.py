"""Module-level build functions of the kept statements the tests of core.statements and
core.together run (a Statement keys its compiled SQL by them)."""

from django.db.models import BooleanField, IntegerField
from django.db.models.expressions import RawSQL

from territories.models import Scheme


def of_collectivite(*, collectivite_id: int, limit: int):
    return (
        Scheme.objects.filter(collectivite_id=collectivite_id)
        .select_related("collectivite")
        .prefetch_related("themes")
        .order_by("name")[:limit]
    )


def named(*, collectivite_id: int, name: str, start):
    # A key, a word and a date bound, and constants (a status, a limit) written in.
    return (
        Scheme.objects.filter(collectivite_id=collectivite_id, status="published")
        .filter(name__gte=name, closes_on__gte=start)
        .order_by("name")
        .values_list("name", flat=True)[:10]
    )


def unpreparable(*, name: str):
    # `$1 IS NULL`: PostgreSQL cannot tell the parameter's type, and refuses to prepare it.
    return (
        Scheme.objects.annotate(unnamed=RawSQL("%s IS NULL", (name,), output_field=BooleanField()))
        .filter(name=name)
        .values_list("name", "unnamed")
    )


def divided(*, collectivite_id: int, divisor: int):
    # Fails as it runs when divisor is 0 (PostgreSQL: division by zero).
    return (
        Scheme.objects.filter(collectivite_id=collectivite_id)
        .annotate(share=RawSQL("1 / %s", (divisor,), output_field=IntegerField()))
        .order_by("name")
        .values_list("share", flat=True)
    )


def listed(*, names: list[str]):
    return Scheme.objects.filter(name__in=names).order_by("name").values_list("name", flat=True)
