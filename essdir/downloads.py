"""The national files of every dataset of /donnees/ (essdir.data.DATASETS): the whole
dataset, as its streamed export would give it without the bound, in CSV and JSON,
gzip-compressed, written by core.downloads (atomically, one build at a time).

`build_downloads()` is the one service: `manage.py build_downloads` calls it (nightly, by
cron), and so should whatever changes many records at once (the SIRENE import, the
panoramas' refresh). Rows are read by chunks (iterator), so memory does not grow with them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from django.conf import settings
from django.utils import translation

from core import downloads
from core.caching import bump_content_version
from core.exports import CHUNK
from essdir.data import DATASETS

logger = logging.getLogger(__name__)


def build_downloads(
    *, wait: bool = True, datasets: Iterable[str] | None = None, report=None
) -> list[downloads.BuiltFile]:
    """Build the national files of every dataset (or of the `datasets` named by slug) and
    return them. Waits for a build in progress (its data may be older than ours), or raises
    core.downloads.BuildInProgress at once when `wait` is false. A dataset whose build
    fails keeps its previous files, and the error is raised after the datasets before it
    were replaced. `report(line)` hears of each dataset built."""
    wanted = set(datasets) if datasets is not None else None
    chosen = [d for d in DATASETS if wanted is None or d.slug in wanted]
    if wanted is not None and len(chosen) != len(wanted):
        known = ", ".join(d.slug for d in DATASETS)
        raise ValueError(f"Unknown dataset among {sorted(wanted)}; known: {known}.")
    built: list[downloads.BuiltFile] = []
    # The rows' links are the site's French addresses, as a visitor without /en/ reads them.
    with downloads.build_lock(wait=wait), translation.override(settings.LANGUAGE_CODE):
        try:
            for dataset in chosen:
                started = time.monotonic()
                records = dataset.rows().iterator(chunk_size=CHUNK)
                files = downloads.write_files(dataset.view_class.export, records, settings.SITE_URL)
                built += files
                line = (
                    f"{dataset.slug}: {files[0].rows} rows, "
                    + ", ".join(f"{f.format} {f.bytes / 1e6:.1f} MB" for f in files)
                    + f", in {time.monotonic() - started:.1f} s"
                )
                logger.info("National files built: %s", line)
                if report is not None:
                    report(line)
        finally:
            if built:
                # /donnees/ and its catalogue describe the files: their cached copies go.
                bump_content_version()
    return built
