"""The raw outputs of bench/run, read: one `Measure` per page and run, the floors they are
compared with, and each page's verdict against the targets. bench/report.py writes them as
BENCHMARKS.md; bench/profiles.py picks the pages to profile from them. Standard library only.
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR_LABEL = "floor"  # the middleware floor's line in bench/urls.txt
BARE = "bare"  # index.tsv's server column for the bare floor
P95_TARGET_MS = 50.0  # without cache: p95 under this…
NOCACHE_RATIO_TARGET = 4.0  # …and floor req/s ÷ page req/s at most this
CACHE_RATIO_TARGET = 2.0  # with cache: floor req/s ÷ page req/s at most this
# Issue 24, over a run's pages without cache: the median ratio at most this, the worst at
# most that, every p95 under P95_TARGET_MS; with cache, every ratio at most
# CACHE_RATIO_TARGET. NOCACHE_RATIO_TARGET (4) stays the goal of every page.
MEDIAN_RATIO_TARGET = 8.0
WORST_RATIO_TARGET = 12.0
SAMPLE_PREFIX = "sample: "  # the labels of the pages drawn at each run (bench/sample.py)
FLOOR_DRIFT = 0.2  # warn when a floor's start and end measurements differ by more
BUSY_WARNING = 25  # warn when the CPUs were this busy (%) before a run started

RUNS = {
    "nocache": {
        "title": "Without cache",
        "target": f"ratio ≤ {NOCACHE_RATIO_TARGET:g}, p95 < {P95_TARGET_MS:g} ms",
        "ratio_target": NOCACHE_RATIO_TARGET,
    },
    "cache": {
        "title": "With cache",
        "target": f"ratio ≤ {CACHE_RATIO_TARGET:g}",
        "ratio_target": CACHE_RATIO_TARGET,
    },
}


# ---- git, read from the files (no git binary needed) ------------------------------------------
def git_commit(root: Path = ROOT) -> str:
    git = root / ".git"
    try:
        if git.is_file():  # a worktree or submodule: "gitdir: <path>"
            target = git.read_text().split(":", 1)[1].strip()
            git = (root / target).resolve()
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref:"):
            return head
        ref = head.split(":", 1)[1].strip()
        common = git
        if (git / "commondir").is_file():
            common = (git / (git / "commondir").read_text().strip()).resolve()
        for base in (git, common):
            if (base / ref).is_file():
                return f"{(base / ref).read_text().strip()} ({ref.removeprefix('refs/heads/')})"
        for base in (git, common):
            packed = base / "packed-refs"
            if packed.is_file():
                for line in packed.read_text().splitlines():
                    if line.endswith(" " + ref):
                        return f"{line.split()[0]} ({ref.removeprefix('refs/heads/')})"
        return f"unknown ({ref}, no commit yet)"
    except (OSError, IndexError):
        return "unknown"


# ---- hey's output ----------------------------------------------------------------------------
@dataclass
class Measure:
    label: str
    path: str
    file: str
    server: str = "site"  # "site" (the project) or "bare" (the bare floor)
    measured: bool = False
    rps: float | None = None
    total_seconds: float | None = None
    p50: float | None = None  # milliseconds
    p95: float | None = None
    p99: float | None = None
    hey_size: int | None = None  # bytes per response, as hey counts them (Content-Length)
    probe_bytes: int | None = None  # bytes of the first plain request
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    error_lines: list[str] = field(default_factory=list)
    hey_failure: str = ""
    probe_status: str = ""
    floor: Floor | None = None  # the reference this page is compared with
    ratio: float | None = None  # floor req/s ÷ this req/s

    @property
    def size(self) -> int | None:
        return self.hey_size if self.hey_size else self.probe_bytes

    @property
    def is_bare_floor(self) -> bool:
        return self.server == BARE

    @property
    def is_middleware_floor(self) -> bool:
        return self.server != BARE and self.label == FLOOR_LABEL

    @property
    def floor_kb(self) -> int | None:
        match = re.search(r"[?&]kb=(\d+)", self.path)
        return int(match.group(1)) if match else None

    @property
    def responses(self) -> int:
        return sum(self.statuses.values())

    @property
    def non_2xx(self) -> int:
        return sum(count for status, count in self.statuses.items() if not 200 <= status < 300)

    @property
    def valid(self) -> bool:
        return (
            self.measured
            and not self.hey_failure
            and self.responses > 0
            and self.non_2xx == 0
            and self.errors == 0
            and self.rps is not None
        )

    def problem(self) -> str:
        if not self.measured:
            return "not measured (no hey output: the server had died?)"
        parts = []
        bad = {s: c for s, c in sorted(self.statuses.items()) if not 200 <= s < 300}
        if bad:
            parts.append(", ".join(f"HTTP {s} ×{c}" for s, c in bad.items()))
        if self.errors:
            first = self.error_lines[0] if self.error_lines else ""
            parts.append(f"{self.errors} failed requests ({first[:140]})")
        if self.hey_failure:
            parts.append(self.hey_failure)
        if not parts and self.responses == 0:
            parts.append("no response at all")
        return "; ".join(parts)


@dataclass
class Floor:
    """A reference: the bare floor at one size, or (old results) the middleware floor."""

    kind: str  # "bare" or "middleware"
    measures: list[Measure]  # its valid measurements: start and end of the run
    kb: int | None = None

    @property
    def rps(self) -> float:
        return sum(m.rps for m in self.measures) / len(self.measures)

    @property
    def size(self) -> float | None:
        sizes = [m.size for m in self.measures if m.size]
        return sum(sizes) / len(sizes) if sizes else None

    @property
    def p95(self) -> float | None:
        values = [m.p95 for m in self.measures if m.p95 is not None]
        return max(values) if values else None

    @property
    def spread(self) -> float:
        values = [m.rps for m in self.measures]
        return (max(values) - min(values)) / self.rps if len(values) > 1 else 0.0

    @property
    def name(self) -> str:
        if self.kind == BARE:
            return f"bare floor {self.kb} KiB" if self.kb else "bare floor"
        return "middleware floor"


LATENCY = re.compile(r"^\s+(\d+(?:\.\d+)?)% in ([\d.]+) secs")
BRACKET = re.compile(r"^\s+\[(\d+)\]\s+(.*)$")


def parse_hey(text: str, measure: Measure) -> None:
    section = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("Requests/sec:"):
            measure.rps = _float(stripped.split(":", 1)[1])
        elif stripped.startswith("Total:") and measure.total_seconds is None:
            measure.total_seconds = _float(stripped.split(":", 1)[1].replace("secs", ""))
        elif stripped.startswith("Size/request:"):
            measure.hey_size = int(_float(stripped.split(":", 1)[1].replace("bytes", "")) or 0)
        elif stripped.startswith("Latency distribution:"):
            section = "latency"
        elif stripped.startswith("Status code distribution:"):
            section = "status"
        elif stripped.startswith("Error distribution:"):
            section = "errors"
        elif stripped.startswith(("Details", "Response time histogram", "Summary:")):
            section = None
        elif stripped.startswith("hey exit status"):
            measure.hey_failure = stripped + (" (timed out)" if stripped.endswith("124") else "")
        elif section == "latency" and (match := LATENCY.match(line)):
            # hey prints "0% in 0.0000 secs" for a percentile it has too few samples for.
            pct, secs = match.group(1), float(match.group(2)) * 1000
            if pct == "50":
                measure.p50 = secs
            elif pct == "95":
                measure.p95 = secs
            elif pct == "99":
                measure.p99 = secs
        elif section in ("status", "errors") and (match := BRACKET.match(line)):
            count = int(match.group(1)) if section == "errors" else None
            if section == "status":
                status = int(match.group(1))
                number = re.match(r"(\d+)", match.group(2))
                measure.statuses[status] = measure.statuses.get(status, 0) + int(
                    number.group(1) if number else 0
                )
            else:
                measure.errors += count
                measure.error_lines.append(match.group(2).strip())


def _float(value: str) -> float | None:
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return None if number != number else number  # NaN


# ---- the results folder ----------------------------------------------------------------------
def read_tsv(path: Path) -> list[list[str]]:
    if not path.is_file():
        return []
    return [line.split("\t") for line in path.read_text().splitlines() if line.strip()]


def load_run(folder: Path) -> list[Measure]:
    rows = read_tsv(folder / "index.tsv")[1:]
    measures = []
    for row in rows:
        _, label, path, file, server = [*row, "", "", "", "", ""][:5]
        measure = Measure(label=label, path=path, file=file, server=server or "site")
        raw = folder / f"{file}.txt"
        if raw.is_file():
            measure.measured = True
            parse_hey(raw.read_text(errors="replace"), measure)
        probe = folder / f"{file}.probe"
        if probe.is_file():
            fields = probe.read_text().split("\t")
            measure.probe_status = fields[0].strip()
            if len(fields) > 1 and fields[1].strip().isdigit():
                measure.probe_bytes = int(fields[1].strip())
        measures.append(measure)
    compare(measures)
    return measures


def bare_floors(measures: list[Measure]) -> list[Floor]:
    """The run's bare floors, one per size, each with its valid measurements."""
    sizes: dict[int | None, list[Measure]] = {}
    for m in measures:
        if m.is_bare_floor and m.valid and m.rps:
            sizes.setdefault(m.floor_kb, []).append(m)
    return [
        Floor(BARE, found, kb) for kb, found in sorted(sizes.items(), key=lambda item: item[0] or 0)
    ]


def middleware_floor(measures: list[Measure]) -> Floor | None:
    found = [m for m in measures if m.is_middleware_floor and m.valid and m.rps]
    return Floor("middleware", found) if found else None


def nearest(floors: list[Floor], size: int | None) -> Floor | None:
    """The floor nearest in size, by ratio (8 KiB is nearer 10 KiB than 5 KiB)."""
    if not floors:
        return None
    sized = [f for f in floors if f.size]
    if not size or not sized:
        return floors[0]
    return min(sized, key=lambda f: abs(math.log(size / f.size)))


def compare(measures: list[Measure]) -> None:
    """Give every valid page of the run its floor and its ratio."""
    floors = bare_floors(measures)
    fallback = None if floors else middleware_floor(measures)
    for m in measures:
        if m.is_bare_floor or not m.valid or not m.rps:
            continue
        m.floor = nearest(floors, m.size) if floors else fallback
        if m.floor is not None and not (m.floor is fallback and m.is_middleware_floor):
            m.ratio = m.floor.rps / m.rps


def verdict(run: str, m: Measure) -> tuple[str, bool | None]:
    """(cell, met): met is None when the row is not judged."""
    if not m.valid:
        return "**INVALID**", None
    if m.is_bare_floor or m.is_middleware_floor:
        return "reference", None
    failed = []
    if m.ratio is None:
        failed.append("no valid floor")
    elif m.ratio > RUNS[run]["ratio_target"]:
        failed.append("ratio")
    if run == "nocache":
        if m.p95 is None:
            failed.append("no p95")
        elif m.p95 >= P95_TARGET_MS:
            failed.append("p95")
    if failed:
        return f"**NO** ({', '.join(failed)})", False
    return "yes", True


def issue_verdict(run: str, m: Measure) -> tuple[str, bool | None]:
    """(cell, met) against issue 24's bound for one page: without cache, ratio at most
    WORST_RATIO_TARGET and p95 under P95_TARGET_MS; with cache, ratio at most
    CACHE_RATIO_TARGET. None when the row is not judged."""
    if not m.valid:
        return "**INVALID**", None
    if m.is_bare_floor or m.is_middleware_floor:
        return "reference", None
    bound = WORST_RATIO_TARGET if run == "nocache" else CACHE_RATIO_TARGET
    failed = []
    if m.ratio is None:
        failed.append("no valid floor")
    elif m.ratio > bound:
        failed.append("ratio")
    if run == "nocache" and (m.p95 is None or m.p95 >= P95_TARGET_MS):
        failed.append("p95")
    if failed:
        return f"**NO** ({', '.join(failed)})", False
    return "yes", True


def is_sample(m: Measure) -> bool:
    return m.label.startswith(SAMPLE_PREFIX)


@dataclass
class Spread:
    """The median and the worst of a run's pages (the floors left out)."""

    pages: int
    median_ratio: float | None = None
    worst_ratio: float | None = None
    worst_ratio_page: Measure | None = None
    median_p95: float | None = None
    worst_p95: float | None = None
    worst_p95_page: Measure | None = None


def spread(measures: list[Measure], sample_only: bool = False) -> Spread:
    """Median and worst ratio, median and worst p95, over the run's valid pages with a ratio
    (every page, or the drawn sample's only)."""
    pages = [
        m
        for m in measures
        if m.valid
        and not m.is_bare_floor
        and not m.is_middleware_floor
        and m.ratio is not None
        and (is_sample(m) or not sample_only)
    ]
    result = Spread(pages=len(pages))
    if not pages:
        return result
    result.median_ratio = statistics.median(m.ratio for m in pages)
    result.worst_ratio_page = max(pages, key=lambda m: m.ratio)
    result.worst_ratio = result.worst_ratio_page.ratio
    timed = [m for m in pages if m.p95 is not None]
    if timed:
        result.median_p95 = statistics.median(m.p95 for m in timed)
        result.worst_p95_page = max(timed, key=lambda m: m.p95)
        result.worst_p95 = result.worst_p95_page.p95
    return result


def run_verdict(run: str, found: Spread) -> list[tuple[str, bool]]:
    """Issue 24's targets over a run: (what, met) for each."""
    if found.pages == 0:
        return []
    if run == "nocache":
        return [
            (f"median ratio ≤ {MEDIAN_RATIO_TARGET:g}", found.median_ratio <= MEDIAN_RATIO_TARGET),
            (f"worst ratio ≤ {WORST_RATIO_TARGET:g}", found.worst_ratio <= WORST_RATIO_TARGET),
            (
                f"worst p95 < {P95_TARGET_MS:g} ms",
                found.worst_p95 is not None and found.worst_p95 < P95_TARGET_MS,
            ),
            (
                f"goal: worst ratio ≤ {NOCACHE_RATIO_TARGET:g}",
                found.worst_ratio <= NOCACHE_RATIO_TARGET,
            ),
        ]
    return [(f"worst ratio ≤ {CACHE_RATIO_TARGET:g}", found.worst_ratio <= CACHE_RATIO_TARGET)]
