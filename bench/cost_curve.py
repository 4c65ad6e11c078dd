#!/usr/bin/env python3
"""The cost-against-size curve of `make bench-curve` (bench/curve): which pages, and the
"Cost against size" section of BENCHMARKS.md.

    python bench/cost_curve.py pick RESULTS_DIR [--pages 3]    # the slowest pages, label<TAB>path
    python bench/cost_curve.py seed RESULTS_DIR                # that run's sample seed
    python bench/cost_curve.py report CURVE_DIR [--output BENCHMARKS.md]

`pick` reads a bench run's raw results (bench/results/latest by default) and prints its
`--pages` slowest pages without cache (fewest req/s; the floors left out; valid ones only).
`report` reads CURVE_DIR, as bench/curve wrote it: sizes.tsv (one line per size: structures,
label, database, build results, measure results, exit status), each size's build (its
steps: the generation time) and its run without cache (bench/run's raw results), and writes
the section between `<!-- bench-curve:start -->` and `<!-- bench-curve:end -->` of the
output, replacing the one there or appended (bench/report.py keeps it when it rewrites the
file). Standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))  # run as a script: measures.py is beside this file

from measures import P95_TARGET_MS, ROOT, Measure, load_run, read_tsv  # noqa: E402

START, END = "<!-- bench-curve:start -->", "<!-- bench-curve:end -->"


def pages(measures: list[Measure]) -> list[Measure]:
    return [m for m in measures if m.valid and not m.is_bare_floor and not m.is_middleware_floor]


def slowest(results: Path, count: int) -> list[Measure]:
    found = pages(load_run(results / "nocache"))
    return sorted(found, key=lambda m: (m.rps, m.label))[:count]


def meta(folder: Path) -> dict[str, str]:
    return {row[0]: (row[1] if len(row) > 1 else "") for row in read_tsv(folder / "meta.tsv")}


BUILDS = "curve-builds.tsv"  # beside the curves' folders: database, size, seconds, date


def generation(build: Path, database: str, builds: Path) -> str:
    """The seconds generate_bench_data took for this size's database: in this curve's build,
    or, for a database reused, when it was built (bench/curve keeps BUILDS)."""
    for row in read_tsv(build / "steps.tsv"):
        name, seconds, status = [*row, "", "", ""][:3]
        if name == "generate_bench_data" and status != "skipped":
            return f"{seconds} s ({status})"
    earlier = [row for row in read_tsv(builds) if len(row) >= 4 and row[0] == database]
    if earlier:
        return f"{earlier[-1][2]} s (built {earlier[-1][3]}, reused)"
    return "reused (built earlier)"


def actors(build: Path) -> str:
    try:
        for line in (build / "dataset.json").read_text().splitlines():
            if line.startswith("{"):
                return f"{json.loads(line)['actors']['total']:,}".replace(",", " ")
    except (OSError, ValueError, KeyError):
        pass
    return "—"


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    if digits == 0 or value >= 100:
        return f"{value:,.0f}".replace(",", " ")
    return f"{value:.{digits}f}"


def section(curve: Path) -> str:
    sizes = [row for row in read_tsv(curve / "sizes.tsv") if row and row[0].isdigit()]
    pages_listed = [row for row in read_tsv(curve / "pages.tsv") if len(row) >= 2]
    about = meta(curve)
    out = [
        START,
        "## Cost against size",
        "",
        f"Measured {about.get('date', '?')} by `make bench-curve` (bench/curve; raw outputs "
        f"`bench/results/{curve.name}/`): the dataset generated at each size "
        "(`generate_bench_data --actors N`, one database per size), and the pages "
        f"{about.get('pages_from', '?')} measured on each, as `make bench` does without cache "
        f"(gunicorn, hey -z {about.get('seconds', '?')} s -c {about.get('concurrency', '?')}, "
        "beside the bare floor of their size). A page computed from the database (a deep "
        "page, a common word) is computed again at each size.",
        "",
        "| structures | database | actors | generate_bench_data | measured |",
        "| ---: | --- | ---: | ---: | --- |",
    ]
    runs: dict[str, list[Measure]] = {}
    for row in sizes:
        count, label, database, build, results, status = [*row, "", "", "", "", "", ""][:6]
        measured = (Path(results) / "nocache" / "index.tsv").is_file()
        if measured:
            runs[count] = load_run(Path(results) / "nocache")
        state = "yes" if measured and status == "0" else f"**exit {status or '?'}**"
        out.append(
            f"| {fmt(float(count), 0)} | `{database}` | {actors(Path(build))} | "
            f"{generation(Path(build), database, curve.parent / BUILDS)} | {state} |"
        )
    out += [
        "",
        "| page | structures | path | KiB | req/s | p95 ms | ratio | ratio ÷ smallest size's |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, *_ in pages_listed:
        first_ratio = None
        for row in sizes:
            count = row[0]
            found = next((m for m in runs.get(count, []) if m.label == label), None)
            if found is None:
                out.append(f"| {label} | {fmt(float(count), 0)} | — | — | not measured | | | |")
                continue
            if not found.valid:
                out.append(
                    f"| {label} | {fmt(float(count), 0)} | `{found.path}` | — | "
                    f"**INVALID**: {found.problem()} | | | |"
                )
                continue
            if first_ratio is None:
                first_ratio = found.ratio
            growth = f"{found.ratio / first_ratio:.2f}" if found.ratio and first_ratio else "—"
            p95 = fmt(found.p95)
            if found.p95 is not None and found.p95 >= P95_TARGET_MS:
                p95 = f"**{p95}**"
            size = fmt(found.size / 1024) if found.size else "—"
            out.append(
                f"| {label} | {fmt(float(count), 0)} | `{found.path}` | {size} | "
                f"{fmt(found.rps)} | {p95} | {fmt(found.ratio, 2)} | {growth} |"
            )
    if not sizes:
        out.append("(no size measured)")
    out += [
        "",
        "Ratio = bare floor req/s ÷ page req/s in the same run (bench/README.md); the last "
        "column, how much slower than at the smallest size the page is against its floor.",
        END,
    ]
    return "\n".join(out) + "\n"


def write_section(output: Path, text: str) -> None:
    current = output.read_text() if output.exists() else ""
    if START in current and END in current:
        before, rest = current.split(START, 1)
        after = rest.split(END, 1)[1]
        current = before + text.rstrip("\n") + after
    else:
        current = current.rstrip("\n") + ("\n\n" if current else "") + text
    output.write_text(current)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    pick = sub.add_parser("pick")
    pick.add_argument("results", nargs="?", default=str(ROOT / "bench" / "results" / "latest"))
    pick.add_argument("--pages", type=int, default=3)
    seed = sub.add_parser("seed")
    seed.add_argument("results", nargs="?", default=str(ROOT / "bench" / "results" / "latest"))
    report = sub.add_parser("report")
    report.add_argument("curve")
    report.add_argument("--output", "-o", default=str(ROOT / "BENCHMARKS.md"))
    args = parser.parse_args(argv)
    if args.command == "pick":
        found = slowest(Path(args.results).resolve(), args.pages)
        if not found:
            print(f"cost_curve: no valid page without cache in {args.results}", file=sys.stderr)
            return 2
        for m in found:
            print(f"{m.label}\t{m.path}")
        return 0
    if args.command == "seed":
        print(meta(Path(args.results).resolve()).get("sample_seed", ""))
        return 0
    curve = Path(args.curve).resolve()
    if not (curve / "sizes.tsv").is_file():
        print(f"cost_curve: no sizes.tsv in {curve}", file=sys.stderr)
        return 2
    write_section(Path(args.output), section(curve))
    print(f"cost_curve: wrote the 'Cost against size' section of {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
