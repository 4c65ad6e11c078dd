#!/usr/bin/env python3
"""Turn the raw outputs of bench/run into BENCHMARKS.md.

    python bench/report.py [RESULTS_DIR] [--output BENCHMARKS.md]
    python bench/report.py --commit        # print the checked-out commit and exit

RESULTS_DIR defaults to bench/results/latest. It holds what bench/run wrote: meta.tsv,
steps.tsv, dataset.json, one folder per run (nocache/, cache/) with index.tsv and, per
URL, the raw hey output (NN-label.txt), its warm-up (NN-label.warmup.txt) and a first plain
request (NN-label.probe: status, bytes, seconds; NN-label.headers), and profile/ with
bench/profiles.py's summary.json.

Every page is compared with the *bare floor* of the nearest size (index.tsv's server column
"bare": bench.bare_settings, no middleware): ratio = floor req/s ÷ page req/s. The
*middleware floor* (the "floor" line of bench/urls.txt) is a page like the others, the
reference that shows the middleware's cost.

Exit status: 0 when every URL answered 2xx only, whether or not the targets are met (the
report says which are missed); 1 when a URL answered anything else, failed to connect, or
was not measured; 2 when the results cannot be read. Standard library only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))  # run as a script: measures.py is beside this file

from measures import (  # noqa: E402
    BARE,
    BUSY_WARNING,
    CACHE_RATIO_TARGET,
    FLOOR_DRIFT,
    MEDIAN_RATIO_TARGET,
    NOCACHE_RATIO_TARGET,
    P95_TARGET_MS,
    ROOT,
    RUNS,
    WORST_RATIO_TARGET,
    Measure,
    bare_floors,
    git_commit,
    issue_verdict,
    load_run,
    middleware_floor,
    nearest,
    read_tsv,
    verdict,
)
from summary import cell, code, kib, ms, rps, sample_section, spread_table  # noqa: E402


def missed_line(run: str, m: Measure, target: float | None = None) -> str:
    title = RUNS[run]["title"].lower()
    target = RUNS[run]["ratio_target"] if target is None else target
    parts = [f"{rps(m.rps)} req/s"]
    if m.ratio is None:
        parts.append("no valid floor to compare with")
    else:
        mark = "**" if m.ratio > target else ""
        parts.append(
            f"{mark}ratio {m.ratio:.2f}{mark} against the {m.floor.name} (target ≤ {target:g})"
        )
    if run == "nocache":
        mark = "**" if m.p95 is None or m.p95 >= P95_TARGET_MS else ""
        parts.append(f"{mark}p95 {ms(m.p95)} ms{mark} (target < {P95_TARGET_MS:g} ms)")
    return f"- {title}, **{m.label}** ({code(m.path)}): " + ", ".join(parts)


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


def run_table(run: str, measures: list[Measure]) -> list[str]:
    target = RUNS[run]["target"]
    if run == "nocache":
        issue = f"issue 24: ratio ≤ {WORST_RATIO_TARGET:g}, p95 < {P95_TARGET_MS:g} ms"
        target = f"goal: {target}"
    else:
        issue = f"issue 24: {target}"
    lines = [
        "| label | path | KiB | responses | req/s | p50 ms | p95 ms | p99 ms | non-2xx "
        f"| floor KiB | floor req/s | ratio | {issue} |"
        + (f" {target} |" if run == "nocache" else ""),
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |"
        + (" --- |" if run == "nocache" else ""),
    ]
    seen_floor = False
    for m in measures:
        if m.is_bare_floor:
            continue
        verdict_cell, _ = verdict(run, m)
        issue_cell, _ = issue_verdict(run, m)
        ratio = "—" if m.ratio is None else f"{m.ratio:.2f}"
        label = m.label
        if m.is_middleware_floor:
            label = "middleware floor " + ("(end)" if seen_floor else "(start)")
            seen_floor = True
        p99 = ms(m.p99) if m.p99 is not None or not m.responses else "—¹"
        floor_kib = kib(m.floor.size) if m.floor and m.ratio is not None else "—"
        floor_rps = rps(m.floor.rps) if m.floor and m.ratio is not None else "—"
        lines.append(
            f"| {label} | {code(m.path)} | {kib(m.size)} | {m.responses} | {rps(m.rps)} | "
            f"{ms(m.p50)} | {ms(m.p95)} | {p99} | {non_2xx_cell(m)} | {floor_kib} | "
            f"{floor_rps} | {ratio} | {issue_cell} |"
            + (f" {verdict_cell} |" if run == "nocache" else "")
        )
    return lines


def floors_table(measures: list[Measure]) -> list[str]:
    floors = bare_floors(measures)
    bare = [m for m in measures if m.is_bare_floor]
    if not bare:
        return [
            "No bare floor in this run (results from an older bench/run): the ratios are "
            "against the middleware floor, so they leave out the middleware's cost.",
        ]
    used: dict[int | None, int] = {}
    for m in measures:
        if m.floor is not None and m.floor.kind == BARE and not m.is_middleware_floor:
            used[m.floor.kb] = used.get(m.floor.kb, 0) + 1
    lines = [
        "| bare floor | KiB | req/s (start) | req/s (end) | mean req/s | p95 ms (worst) "
        "| pages compared |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for floor in floors:
        start = next((rps(m.rps) for m in floor.measures if not m.file.endswith("-end")), "—")
        end = next((rps(m.rps) for m in floor.measures if m.file.endswith("-end")), "—")
        lines.append(
            f"| {code(floor.measures[0].path)} | {kib(floor.size)} | {start} | {end} | "
            f"{rps(floor.rps)} | {ms(floor.p95)} | {used.get(floor.kb, 0)} |"
        )
    for m in bare:
        if not m.valid:
            lines.append(f"| {code(m.path)} | — | **INVALID**: {cell(m.problem())} | | | | |")
    return lines


def middleware_cost(measures: list[Measure]) -> str | None:
    mw = middleware_floor(measures)
    if mw is None:
        return None
    floors = bare_floors(measures)
    bare = nearest(floors, mw.size)
    if bare is None:
        return None
    return (
        f"Middleware floor (`/bench/floor/`, {kib(mw.size)} KiB through the project's "
        f"middleware): {rps(mw.rps)} req/s, p95 {ms(mw.p95)} ms; the {bare.name} "
        f"({kib(bare.size)} KiB): {rps(bare.rps)} req/s, p95 {ms(bare.p95)} ms. "
        f"The middleware costs **{1 - mw.rps / bare.rps:.0%}** of the throughput "
        f"(ratio {bare.rps / mw.rps:.2f})."
    )


# ---- the profiles (bench/profiles.py) ---------------------------------------------------------
CATEGORIES = [
    ("sql", "SQL (inside the cursor's execute)"),
    ("orm", "ORM (Python in django.db, outside SQL)"),
    ("template", "templates (Jinja2 or Django's engine, filters, form widgets)"),
    ("middleware", "middleware"),
    ("other", "view, URL routing, response & serialisation, other"),
]


def profile_section(results: Path, summary: dict) -> list[str]:
    pages = summary.get("pages", [])
    out = [
        "",
        (
            f"## Where the time goes: every page that misses the goal without cache "
            f"(ratio ≤ {NOCACHE_RATIO_TARGET:g}, p95 < {P95_TARGET_MS:g} ms; {len(pages)}, "
            "slowest first)"
            if summary.get("selection") == "missed"
            else f"## Where the time goes: the {len(pages)} slowest pages without cache"
        ),
        "",
        f"Profiled after the run without cache by `bench/profiles.py`, in-process against the "
        f"same database (DEBUG off, cache off), through Django's WSGI handler with every "
        f"middleware. Each page: {summary.get('warmup', '?')} warm-up requests; "
        f"{summary.get('runs', '?')} requests timed without profiler (**total**; **SQL** is "
        "the time inside the database cursor's execute, timed by "
        "`connection.execute_wrapper`); then as many under cProfile, whose own-time by "
        "layer, each function counted in its innermost layer (what a template calls in "
        "`django.db` is ORM, what the ORM executes is SQL), splits the rest (total − SQL). "
        "Raw profiles: "
        f"`bench/results/{results.name}/profile/*.prof` (`python -m pstats FILE`).",
    ]
    if summary.get("error"):
        out += ["", f"**⚠ Profiling failed: {cell(summary['error'])}**"]
    for page in pages:
        out += ["", f"### {page['label']} — {code(page['path'])}", ""]
        if page.get("error"):
            out.append(f"**⚠ not profiled: {cell(page['error'])}**")
            continue
        facts = [
            f"HTTP {page.get('status', '?')}",
            f"{kib(page.get('bytes'))} KiB",
            f"{page.get('runs', 0)} timed + {page.get('profiled_runs', 0)} profiled requests",
        ]
        if page.get("hey_rps"):
            facts.append(f"{rps(page['hey_rps'])} req/s under load")
        if page.get("ratio"):
            facts.append(f"ratio {page['ratio']:.2f}")
        if page.get("profiled_ms"):
            facts.append(f"{page['profiled_ms']:.1f} ms/request under cProfile")
        out += ["; ".join(facts) + ".", ""]
        total = page.get("wall_ms") or 0.0
        out += ["| where | ms / request | share |", "| --- | ---: | ---: |"]
        for key, title in CATEGORIES:
            value = page.get("categories", {}).get(key, 0.0)
            if key == "sql":
                title += f", {page.get('queries', 0):.1f} queries"
            share = f"{value / total:.0%}" if total else "—"
            out.append(f"| {title} | {value:.1f} | {share} |")
        out.append(f"| **total** (median {ms(page.get('wall_ms_median'))}) | **{total:.1f}** | |")
        if page.get("top_queries"):
            out += [
                "",
                "| slowest statements | calls / request | ms / request |",
                "| --- | ---: | ---: |",
            ]
            for query in page["top_queries"]:
                out.append(f"| {code(query['sql'])} | {query['calls']:.1f} | {query['ms']:.1f} |")
        if page.get("top_functions"):
            out += [
                "",
                "| most own time (under cProfile) | layer | calls / request | own ms / request |",
                "| --- | --- | ---: | ---: |",
            ]
            for function in page["top_functions"]:
                out.append(
                    f"| {code(function['function'])} | {function['category']} | "
                    f"{function['calls']:.1f} | {function['own_ms']:.2f} |"
                )
    return out


# ---- the report --------------------------------------------------------------------------------
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
    profile: dict = {}
    with contextlib.suppress(OSError, ValueError):
        profile = json.loads((results / "profile" / "summary.json").read_text())
    runs = {run: load_run(results / run) for run in RUNS if (results / run / "index.tsv").is_file()}
    if not runs:
        raise SystemExit(f"report: no run found in {results} (nocache/ or cache/ with index.tsv)")

    invalid: list[tuple[str, Measure]] = []
    missed: list[str] = []  # over issue 24's bound for one page
    over_goal: dict[str, list[Measure]] = {}  # within it, but over the goal
    judged = 0
    for run, measures in runs.items():
        bound = WORST_RATIO_TARGET if run == "nocache" else None
        for m in measures:
            if not m.valid:
                invalid.append((run, m))
                continue
            _, met = issue_verdict(run, m)
            if met is None:
                continue
            judged += 1
            if not met:
                missed.append(missed_line(run, m, bound))
            elif verdict(run, m)[1] is False:
                over_goal.setdefault(run, []).append(m)

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
            name = f"bare floor ({m.path})" if m.is_bare_floor else m.label
            out.append(f"- {title}, **{name}** ({code(m.path)}): {m.problem()}")
        out.append("")
    for run, measures in runs.items():
        title = RUNS[run]["title"]
        if not bare_floors(measures):
            if middleware_floor(measures):
                out.append(
                    f"**⚠ {title}: no valid bare floor: the ratios are against the middleware "
                    "floor, which leaves the middleware's cost out.**"
                )
            else:
                out.append(f"**⚠ {title}: no valid floor: no ratio can be computed.**")
            out.append("")
        references = bare_floors(measures)
        if (mw := middleware_floor(measures)) is not None:
            references.append(mw)
        moved = [
            f"{floor.name} by {floor.spread:.0%} "
            f"({' → '.join(rps(m.rps) for m in floor.measures)} req/s)"
            for floor in references
            if floor.spread > FLOOR_DRIFT
        ]
        if moved:
            out.append(
                f"**⚠ {title}: floors moved between the start and the end of the run: "
                f"{'; '.join(moved)}. The machine's speed was not steady, so the ratios are "
                "rough.**"
            )
            out.append("")
        busy = meta.get(f"cpu_busy_before_{run}", "")
        if busy.isdigit() and int(busy) >= BUSY_WARNING:
            out.append(
                f"**⚠ {title}: the CPUs were already {busy}% busy before the run "
                "(other processes on the machine): every figure of that run is too low. "
                f"See `logs/top-before-{run}.txt` in the raw results.**"
            )
            out.append("")
    out += spread_table(runs, meta)
    out.append("")
    if missed:
        out.append(
            f"**{len(missed)} page(s) over issue 24's bound** (of {judged} judged; without "
            f"cache ratio ≤ {WORST_RATIO_TARGET:g} and p95 < {P95_TARGET_MS:g} ms, with cache "
            f"ratio ≤ {CACHE_RATIO_TARGET:g}):"
        )
        out.append("")
        out += missed
    elif judged:
        out.append(f"All {judged} judged measurements are within issue 24's bound.")
    else:
        out.append("No measurement could be judged.")
    for run, pages in over_goal.items():
        listed = ", ".join(f"{m.label} ({m.ratio:.2f})" for m in pages)
        out += [
            "",
            f"{RUNS[run]['title']}, {len(pages)} page(s) within issue 24's bound but over the "
            f"goal (ratio ≤ {RUNS[run]['ratio_target']:g}): {listed}.",
        ]
    out.append("")
    out.append(
        f"Targets (issue 24), at {meta.get('concurrency', '?')} concurrent connections, over "
        f"every page of a run and over its drawn sample alike: without the page cache, a "
        f"median ratio ≤ {MEDIAN_RATIO_TARGET:g}, the worst ≤ {WORST_RATIO_TARGET:g}, every "
        f"p95 < {P95_TARGET_MS:g} ms; with it, every ratio ≤ {CACHE_RATIO_TARGET:g}. The goal "
        f"beyond: every page at ratio ≤ {NOCACHE_RATIO_TARGET:g} without cache. The bare floor "
        "renders a page of the same size with no middleware and no query: ratio = bare floor "
        "req/s ÷ page req/s."
    )
    for run, measures in runs.items():
        if cost := middleware_cost(measures):
            out += ["", f"{RUNS[run]['title']}: {cost}"]

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
        ("workers", "gunicorn workers (site and bare floor each)"),
        ("hey", "hey (Debian package)"),
        ("concurrency", "hey concurrency (-c)"),
        ("seconds", "hey duration per URL (-z, s)"),
        ("floor_seconds", "hey duration per bare floor size (-z, s)"),
        ("warmup", "warm-up requests per URL (-n)"),
        ("floor_kb_nocache", "bare floor sizes, run without cache (KiB)"),
        ("floor_kb_cache", "bare floor sizes, run with cache (KiB)"),
        ("cache_seconds", "CACHE_SECONDS of the cached run"),
        ("cache_backend", "cache backend"),
        ("cpu_busy_before_nocache", "CPU busy before the run without cache (%)"),
        ("cpu_busy_before_cache", "CPU busy before the run with cache (%)"),
        ("database", "database"),
        ("reused_database", "database reused (BENCH_REUSE_DB)"),
        ("sample_seed", "seed of the drawn sample (BENCH_SAMPLE_SEED)"),
        ("sample_seconds", "hey duration per URL of the drawn sample (-z, s)"),
    ]:
        if key in meta:
            out.append(f"| {title} | {meta[key]} |")
    out.append(
        "\nServer, database and load generator share the same cores, so absolute figures are "
        "lower than on a dedicated server; the ratio to the bare floor, measured in the same "
        "run on the same machine, cancels most of that."
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

    out += sample_section(results, meta)

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
        out += floors_table(measures)
        out.append("")
        out += run_table(run, measures)

    if profile:
        out += profile_section(results, profile)

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
        "- **floor KiB, floor req/s**: the bare floor the page is compared with: "
        "`/bench/floor/?kb=N` served beside the site by the same gunicorn settings with "
        "bench.bare_settings (no middleware), rendering N KiB of list items with the "
        "site's templates and no query; measured at the ladder's sizes nearest to the pages' "
        "sizes, at the start and at the end of each run (the mean of the two is used), and "
        "each page is compared with the nearest size.",
        "- **ratio**: floor req/s ÷ page req/s: 1.0 is as fast as the bare floor, 4.0 a "
        "quarter as fast; below 1.0, the page is faster than rendering its size (a cached "
        "page is not rendered at all). The **middleware floor** rows (`/bench/floor/` through "
        "the site, every middleware) show what the middleware alone costs.",
    ]
    return "\n".join(out) + "\n", bool(invalid)


# Sections written by other benchmarks (bench/import) or by hand (the analysis of a run):
# kept as they are.
KEPT_SECTIONS = [
    ("<!-- analysis:start -->", "<!-- analysis:end -->"),
    ("<!-- bench-import:start -->", "<!-- bench-import:end -->"),
    ("<!-- bench-curve:start -->", "<!-- bench-curve:end -->"),
]


def keep_other_sections(path: Path, text: str) -> str:
    """`text`, followed by the sections of the current file that other benchmarks own."""
    current = path.read_text() if path.exists() else ""
    for start, end in KEPT_SECTIONS:
        if start in current and end in current and start not in text:
            section = current[current.index(start) : current.index(end) + len(end)]
            text = text.rstrip("\n") + "\n\n" + section + "\n"
    return text


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
    Path(args.output).write_text(keep_other_sections(Path(args.output), text))
    print(f"report: wrote {args.output}")
    summary = text.split("## Summary", 1)[1].split("## Machine", 1)[0].strip()
    print(summary)
    if has_invalid:
        print("report: some pages answered errors: figures invalid (exit 1)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
