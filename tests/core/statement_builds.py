"""Module-level build functions of the kept statements the tests of core.statements and
core.together run (a Statement keys its compiled SQL by them)."""

from territories.models import Scheme


def of_collectivite(*, collectivite_id: int, limit: int):
    return (
        Scheme.objects.filter(collectivite_id=collectivite_id)
        .select_related("collectivite")
        .prefetch_related("themes")
        .order_by("name")[:limit]
    )
