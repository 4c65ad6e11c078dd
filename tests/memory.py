"""Memory measured in the tests that show an import holds its file in bounded memory."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable


def traced_peak(function: Callable[[], object]) -> int:
    """The peak of the memory Python allocated while `function` ran, in bytes."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
