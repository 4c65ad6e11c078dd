"""What bench/report.py writes about a run as a whole (issue 24): per run, the median and
the worst over every page and over the drawn sample, judged against the targets; and the
list of URLs bench_sample computed from the database. With the Markdown helpers the report
shares. Standard library only."""

from __future__ import annotations

from pathlib import Path

from measures import RUNS, SAMPLE_PREFIX, Measure, Spread, read_tsv, run_verdict, spread


def ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def rps(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}".replace(",", " ") if value >= 100 else f"{value:.1f}"


def kib(value: float | None) -> str:
    return "—" if value is None else f"{value / 1024:.1f}"


def code(text: str) -> str:
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def spread_table(runs: dict[str, list[Measure]], meta: dict) -> list[str]:
    """Per run, the median and the worst over every page and over the drawn sample, judged
    against issue 24's targets."""
    lines = [
        "| run | pages | median ratio | worst ratio | median p95 ms | worst p95 ms | issue 24 |",
        "| --- | --- | ---: | --- | ---: | --- | --- |",
    ]
    for run, measures in runs.items():
        for sample_only in (False, True):
            found: Spread = spread(measures, sample_only)
            if sample_only and not found.pages:
                continue
            scope = (
                f"the sample (seed {meta.get('sample_seed', '?')}), {found.pages}"
                if sample_only
                else f"all, {found.pages}"
            )
            judged = "; ".join(
                f"{what}: {'yes' if met else '**NO**'}" for what, met in run_verdict(run, found)
            )
            lines.append(
                f"| {RUNS[run]['title']} | {scope} | {ratio_text(found.median_ratio)} | "
                f"{worst_text(found.worst_ratio_page, 'ratio')} | {ms(found.median_p95)} | "
                f"{worst_text(found.worst_p95_page, 'p95')} | {judged or '—'} |"
            )
    return lines


def ratio_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def worst_text(m: Measure | None, what: str) -> str:
    if m is None:
        return "—"
    value = ratio_text(m.ratio) if what == "ratio" else ms(m.p95)
    return f"{value} ({cell(m.label)})"


def sample_section(results: Path, meta: dict) -> list[str]:
    """The URLs bench_sample computed from the database for this run, the drawn ones with
    the seed."""
    rows = [row for row in read_tsv(results / "sample.tsv") if len(row) >= 2]
    if not rows:
        return []
    drawn = sum(1 for row in rows if row[0].startswith(SAMPLE_PREFIX))
    out = [
        "",
        "## The URLs computed from the database",
        "",
        f"After bench/urls.txt's fixed list, `manage.py bench_sample` (bench/sample.py) added "
        f"{len(rows) - drawn} pages computed from the database (the largest territories by "
        f"population, a common word in each language, deep pages) and a sample of {drawn} "
        f"drawn with the seed **{meta.get('sample_seed', '?')}** (`BENCH_SAMPLE_SEED`; "
        "territories of every kind, half by population and half uniformly, and words of the "
        f"dataset), measured {meta.get('sample_seconds', '?')} s each. The same seed on the "
        "same database draws the same list.",
        "",
        "| label | path | what |",
        "| --- | --- | --- |",
    ]
    for row in rows:
        note = row[2] if len(row) > 2 else ""
        out.append(f"| {cell(row[0])} | {code(row[1])} | {cell(note)} |")
    return out
