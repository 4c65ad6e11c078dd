"""The seed data of fixtures/seed/ (transcribed from the source documents), app by app."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import transaction

from actors import seed as actors_seed
from actors.derived import refresh_derived_data
from core.publication import PublicationStatus
from core.seedkit import Loader, SeedReport
from essdir.search import refresh_search_contexts
from events import seed as events_seed
from territories import seed as territories_seed

DEFAULT_SEED_DIR = Path(settings.BASE_DIR) / "fixtures" / "seed"


@transaction.atomic
def load_seed(
    *, directory: Path = DEFAULT_SEED_DIR, status: str = PublicationStatus.PUBLISHED
) -> SeedReport:
    """Load every seed file of `directory`; idempotent. Raises SeedError on bad data."""
    loader = Loader(directory=directory, status=status)
    # In dependency order: actors refer to collectivités, events to both.
    for app_seed in (territories_seed, actors_seed, events_seed):
        app_seed.load(loader)
    refresh_search_contexts()
    refresh_derived_data()
    return loader.report
