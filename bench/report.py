#!/usr/bin/env python3
"""Turn the raw outputs of bench/run into BENCHMARKS.md.

    python bench/report.py [RESULTS_DIR] [--output BENCHMARKS.md]
    python bench/report.py --commit        # print the checked-out commit and exit

RESULTS_DIR defaults to bench/results/latest. It holds what bench/run wrote: meta.tsv,
steps.tsv, dataset.json, and one folder per run (nocache/, cache/) with index.tsv and, per
URL, the raw hey output (NN-label.txt), its warm-up (NN-label.warmup.txt) and a first plain
request (NN-label.probe: status, bytes, seconds; NN-label.headers).

Exit status: 0 when every URL answered 2xx only, whether or not the targets are met (the
report says which are missed); 1 when a URL answered anything else, failed to connect, or
was not measured; 2 when the results cannot be read. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR_LABEL = "floor"
P95_TARGET_MS = 100.0  # without cache: p95 under this
FLOOR_RATIO_TARGET = 2.0  # with cache: floor req/s ÷ page req/s at most this
FLOOR_DRIFT = 0.2  # warn when the floor's start and end measurements differ by more
BUSY_WARNING = 25  # warn when the CPUs were this busy (%) before a run started

RUNS = {
    "nocache": {
        "title": "Without cache",
        "target": f"p95 < {P95_TARGET_MS:g} ms",
    },
    "cache": {
        "title": "With cache",
        "target": f"within {FLOOR_RATIO_TARGET:g}× of floor",
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
    measured: bool = False
    rps: float | None = None
    total_seconds: float | None = None
    p50: float | None = None  # milliseconds
    p95: float | None = None
    p99: float | None = None
    size: int | None = None  # bytes per response
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    error_lines: list[str] = field(default_factory=list)
    hey_failure: str = ""
    probe_status: str = ""
    ratio: float | None = None  # floor req/s ÷ this req/s

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
            measure.size = int(_float(stripped.split(":", 1)[1].replace("bytes", "")) or 0)
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
        _, label, path, file = [*row, "", "", "", ""][:4]
        measure = Measure(label=label, path=path, file=file)
        raw = folder / f"{file}.txt"
        if raw.is_file():
            measure.measured = True
            parse_hey(raw.read_text(errors="replace"), measure)
        probe = folder / f"{file}.probe"
        if probe.is_file():
            measure.probe_status = probe.read_text().split("\t", 1)[0].strip()
        measures.append(measure)
    floor = floor_rps(measures)
    if floor:
        for m in measures:
            if m.valid and m.rps:
                m.ratio = floor / m.rps
    return measures


def floors(measures: list[Measure]) -> list[Measure]:
    """The floor's measurements of a run (bench/run measures it first and last)."""
    return [m for m in measures if m.label == FLOOR_LABEL and m.valid and m.rps]


def floor_rps(measures: list[Measure]) -> float | None:
    """The run's reference throughput: the mean of its valid floor measurements."""
    found = floors(measures)
    return sum(m.rps for m in found) / len(found) if found else None


def verdict(run: str, m: Measure) -> tuple[str, bool | None]:
    """(cell, met): met is None when the row is not judged."""
    if not m.valid:
        return "**INVALID**", None
    if m.label == FLOOR_LABEL:
        return "reference", None
    if run == "nocache":
        if m.p95 is None:
            return "**NO** (no p95)", False
        ok = m.p95 < P95_TARGET_MS
        return ("yes", True) if ok else ("**NO**", False)
    if m.ratio is None:
        return "**n/a** (no valid floor)", False
    ok = m.ratio <= FLOOR_RATIO_TARGET
    return ("yes", True) if ok else ("**NO**", False)


# ---- Markdown ----------------------------------------------------------------------------------
def ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def rps(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}".replace(",", " ") if value >= 100 else f"{value:.1f}"


def kib(value: int | None) -> str:
    return "—" if value is None else f"{value / 1024:.1f}"


def non_2xx_cell(m: Measure) -> str:
    if not m.measured:
        return "**not measured**"
    parts = [f"{s} ×{c}" for s, c in sorted(m.statuses.items()) if not 200 <= s < 300]
    if m.errors:
        parts.append(f"errors ×{m.errors}")
    if m.hey_failure:
        parts.append("hey failed")
    if not parts and m.responses == 0:
        parts.append("no response")
    return "**" + ", ".join(parts) + "**" if parts else "0"


def code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def run_table(run: str, measures: list[Measure]) -> list[str]:
    target = RUNS[run]["target"]
    lines = [
        "| label | path | KiB | responses | req/s | p50 ms | p95 ms | p99 ms | non-2xx "
        f"| floor ratio | {target} |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |",
    ]
    seen_floor = False
    for m in measures:
        cell, _ = verdict(run, m)
        ratio = "—" if m.ratio is None else f"{m.ratio:.2f}"
        label = m.label
        if m.label == FLOOR_LABEL:
            label = "floor (end)" if seen_floor else "floor (start)"
            seen_floor = True
        p99 = ms(m.p99) if m.p99 is not None or not m.responses else "—¹"
        lines.append(
            f"| {label} | {code(m.path)} | {kib(m.size)} | {m.responses} | {rps(m.rps)} | "
            f"{ms(m.p50)} | {ms(m.p95)} | {p99} | {non_2xx_cell(m)} | {ratio} | {cell} |"
        )
    return lines


def build(results: Path) -> tuple[str, bool]:
    meta = {row[0]: (row[1] if len(row) > 1 else "") for row in read_tsv(results / "meta.tsv")}
    steps = read_tsv(results / "steps.tsv")
    dataset = {}
    try:
        for line in (results / "dataset.json").read_text().splitlines():
            if line.startswith("{"):
                dataset = json.loads(line)
    except (OSError, ValueError):
        pass
    runs = {run: load_run(results / run) for run in RUNS if (results / run / "index.tsv").is_file()}
    if not runs:
        raise SystemExit(f"report: no run found in {results} (nocache/ or cache/ with index.tsv)")

    invalid: list[tuple[str, Measure]] = []
    missed: list[str] = []
    judged = 0
    for run, measures in runs.items():
        for m in measures:
            if not m.valid:
                invalid.append((run, m))
                continue
            _, met = verdict(run, m)
            if met is None:
                continue
            judged += 1
            if not met:
                if run == "nocache":
                    missed.append(
                        f"- without cache, **{m.label}** ({code(m.path)}): p95 {ms(m.p95)} ms "
                        f"(target < {P95_TARGET_MS:g} ms)"
                    )
                else:
                    ratio = "n/a (no valid floor)" if m.ratio is None else f"{m.ratio:.2f}×"
                    missed.append(
                        f"- with cache, **{m.label}** ({code(m.path)}): {rps(m.rps)} req/s, "
                        f"{ratio} slower than the floor (target ≤ {FLOOR_RATIO_TARGET:g}×)"
                    )

    out: list[str] = ["# Benchmarks", ""]
    out.append(
        f"Measured {meta.get('date', '?')} on commit `{meta.get('commit', '?')}` by `make bench` "
        f"(bench/run; how to read this: bench/README.md). Raw outputs: "
        f"`bench/results/{results.name}/` (not committed)."
    )
    out += ["", "## Summary", ""]
    if invalid:
        out.append(
            f"**⚠ {len(invalid)} measurement(s) INVALID: the page did not answer 2xx only, "
            "so its figures say nothing about the page. Fix these first:**"
        )
        out.append("")
        for run, m in invalid:
            title = RUNS[run]["title"].lower()
            out.append(f"- {title}, **{m.label}** ({code(m.path)}): {m.problem()}")
        out.append("")
    floor_ok = {
        run: any(m.label == FLOOR_LABEL and m.valid for m in measures)
        for run, measures in runs.items()
    }
    for run, ok in floor_ok.items():
        if not ok:
            out.append(
                f"**⚠ {RUNS[run]['title']}: no valid floor (`{FLOOR_LABEL}` line of "
                "bench/urls.txt): no throughput ratio can be computed.**"
            )
            out.append("")
    for run, measures in runs.items():
        found = floors(measures)
        mean = floor_rps(measures)
        if len(found) > 1 and mean:
            spread = (max(m.rps for m in found) - min(m.rps for m in found)) / mean
            if spread > FLOOR_DRIFT:
                out.append(
                    f"**⚠ {RUNS[run]['title']}: the floor moved by {spread:.0%} between the start "
                    f"and the end of the run ({', '.join(rps(m.rps) for m in found)} req/s): the "
                    "machine's speed was not steady, so the ratios are rough.**"
                )
                out.append("")
        busy = meta.get(f"cpu_busy_before_{run}", "")
        if busy.isdigit() and int(busy) >= BUSY_WARNING:
            out.append(
                f"**⚠ {RUNS[run]['title']}: the CPUs were already {busy}% busy before the run "
                "(other processes on the machine): every figure of that run is too low. "
                f"See `logs/top-before-{run}.txt` in the raw results.**"
            )
            out.append("")
    if missed:
        out.append(f"**{len(missed)} target(s) missed** (of {judged} judged):")
        out.append("")
        out += missed
    elif judged:
        out.append(f"All {judged} judged measurements meet their target.")
    else:
        out.append("No measurement could be judged.")
    out.append("")
    out.append(
        f"Targets: without the page cache, every page answers with p95 < {P95_TARGET_MS:g} ms; "
        f"with it, every page serves at least 1/{FLOOR_RATIO_TARGET:g} of the floor's throughput "
        f"(floor ratio ≤ {FLOOR_RATIO_TARGET:g})."
    )

    out += ["", "## Machine and settings", "", "| | |", "| --- | --- |"]
    for key, title in [
        ("cpu", "CPU"),
        ("nproc", "cores (nproc)"),
        ("memory", "memory (free -h total)"),
        ("os", "system"),
        ("kernel", "kernel"),
        ("postgresql", "PostgreSQL"),
        ("python", "Python"),
        ("django", "Django"),
        ("gunicorn", "gunicorn"),
        ("workers", "gunicorn workers"),
        ("hey", "hey (Debian package)"),
        ("concurrency", "hey concurrency (-c)"),
        ("seconds", "hey duration per URL (-z, s)"),
        ("warmup", "warm-up requests per URL (-n)"),
        ("cache_seconds", "CACHE_SECONDS of the cached run"),
        ("cache_backend", "cache backend"),
        ("cpu_busy_before_nocache", "CPU busy before the run without cache (%)"),
        ("cpu_busy_before_cache", "CPU busy before the run with cache (%)"),
        ("database", "database"),
        ("reused_database", "database reused (BENCH_REUSE_DB)"),
    ]:
        if key in meta:
            out.append(f"| {title} | {meta[key]} |")
    out.append(
        "\nServer, database and load generator share the same cores, so absolute figures are "
        "lower than on a dedicated server; the floor ratio cancels most of that."
    )

    out += ["", "## Dataset", ""]
    if dataset:
        out += ["| records | total | published |", "| --- | ---: | ---: |"]
        for name, row in dataset.items():
            published = row.get("published")
            out.append(
                f"| {name} | {row.get('total', 0):,} | "
                f"{'—' if published is None else f'{published:,}'} |".replace(",", " ")
            )
        out.append("")
        out.append(f"Generated with `generate_bench_data {meta.get('generate_args', '?')}`.")
    else:
        out.append("(not counted)")

    out += ["", "## Steps", "", "| step | seconds | status |", "| --- | ---: | --- |"]
    for row in steps:
        name, seconds, status, note = [*row, "", "", "", ""][:4]
        status = status if status != "failed" else "**failed**"
        out.append(f"| {name} | {seconds} | {status}{' — ' + note if note else ''} |")

    for run, measures in runs.items():
        out += ["", f"## {RUNS[run]['title']}", ""]
        out.append(
            "CACHE_SECONDS=0: every request renders the page and queries PostgreSQL."
            if run == "nocache"
            else f"CACHE_SECONDS={meta.get('cache_seconds', '300')}: anonymous pages come from "
            "the page cache after the warm-up."
        )
        out.append("")
        out += run_table(run, measures)

    out += [
        "",
        "## Columns",
        "",
        "- **KiB**: response body size; **req/s**: hey's requests per second over the whole "
        "duration; **p50/p95/p99**: response time percentiles in milliseconds, measured by hey "
        f"with {meta.get('concurrency', '?')} concurrent connections.",
        "- **responses**: how many requests hey completed in its duration; ¹ hey prints no "
        "p99 for fewer than 100 responses.",
        "- **non-2xx**: responses other than 2xx (redirects are not followed) and failed "
        "requests; any makes the row INVALID.",
        "- **floor ratio**: floor req/s ÷ page req/s of the same run: 1.0 is as fast as the "
        "floor (a bare view rendering a page of the same size with no query), 2.0 half as fast. "
        "The floor is measured at the start and at the end of each run; the ratio uses the mean "
        "of the two. Below 1.0, the page is faster than the floor (a cached page is not "
        "rendered at all).",
    ]
    return "\n".join(out) + "\n", bool(invalid)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="?", default=str(ROOT / "bench" / "results" / "latest"))
    parser.add_argument("--output", "-o", default=str(ROOT / "BENCHMARKS.md"))
    parser.add_argument("--commit", action="store_true", help="print the commit and exit")
    args = parser.parse_args(argv)
    if args.commit:
        print(git_commit())
        return 0
    results = Path(args.results).resolve()
    if not results.is_dir():
        print(f"report: no results folder {results}", file=sys.stderr)
        return 2
    try:
        text, has_invalid = build(results)
    except SystemExit as error:
        print(error, file=sys.stderr)
        return 2
    Path(args.output).write_text(text)
    print(f"report: wrote {args.output}")
    summary = text.split("## Summary", 1)[1].split("## Machine", 1)[0].strip()
    print(summary)
    if has_invalid:
        print("report: some pages answered errors: figures invalid (exit 1)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
