"""bench/report.py over fixture results: the median and the worst of a run, over every page
and over the drawn sample, judged against issue 24's targets; and bench/cost_curve.py."""

from pathlib import Path

import pytest

from bench import cost_curve, measures, report

HEY = """
Summary:
  Total:\t{seconds:.4f} secs
  Slowest:\t0.2000 secs
  Fastest:\t0.0010 secs
  Average:\t0.0100 secs
  Requests/sec:\t{rps:.4f}
  Total data:\t{total} bytes
  Size/request:\t{size} bytes

Latency distribution:
  10% in 0.0050 secs
  50% in {p50:.4f} secs
  95% in {p95:.4f} secs
  99% in {p99:.4f} secs

Status code distribution:
  [{status}]\t{count} responses
"""

# label, path, req/s, p95 ms: every page 10 KiB, the bare floor at 1 000 req/s.
PAGES = [
    ("floor", "/bench/floor/", 800.0, 6.0),
    ("home", "/", 500.0, 10.0),  # ratio 2
    ("acteurs", "/acteurs/", 125.0, 30.0),  # ratio 8
    ("sample: commune Toul: page", "/territoires/commune-54528-toul/", 100.0, 45.0),  # 10
    ("sample: word solidaire: search", "/recherche/?q=solidaire", 50.0, 80.0),  # 20
    ("sample: region Grand Est: acteurs", "/acteurs/?territoire=region-44", 250.0, 20.0),  # 4
]


def hey(folder: Path, file: str, rps: float, p95: float, status: int = 200, size: int = 10240):
    count = int(rps * 10)
    (folder / f"{file}.txt").write_text(
        HEY.format(
            seconds=10.0,
            rps=rps,
            total=count * size,
            size=size,
            p50=p95 / 2000,
            p95=p95 / 1000,
            p99=p95 / 1000 * 1.2,
            status=status,
            count=count,
        )
    )
    (folder / f"{file}.probe").write_text(f"{status}\t{size}\t0.01\n")


def write_run(results: Path, run: str, pages=PAGES, floor_rps=1000.0):
    folder = results / run
    folder.mkdir(parents=True)
    rows = ["n\tlabel\tpath\tfile\tserver"]
    n = 0
    for phase in ("start", "end"):
        n += 1
        file = f"bare-floor-10k-{phase}"
        rows.append(f"{n}\tbare floor\t/bench/floor/?kb=10\t{file}\tbare")
        hey(folder, file, floor_rps, 4.0)
        if phase == "start":
            for label, path, rps, p95 in pages:
                n += 1
                file = f"{n:02d}-{label.replace(' ', '_').replace(':', '')}"
                rows.append(f"{n}\t{label}\t{path}\t{file}\tsite")
                hey(folder, file, rps, p95)
    (folder / "index.tsv").write_text("\n".join(rows) + "\n")


@pytest.fixture
def results(tmp_path):
    folder = tmp_path / "20261202-110000"
    folder.mkdir()
    (folder / "meta.tsv").write_text(
        "date\t2026-12-02 11:00:00 UTC\nconcurrency\t4\nsample_seed\t20261202\nsample_seconds\t10\n"
    )
    (folder / "steps.tsv").write_text("total\t100.0\tok\t\n")
    (folder / "sample.tsv").write_text(
        "largest departement: page\t/territoires/departement-59-nord/\tNord, population 2 615 635\n"
        "sample: commune Toul: page\t/territoires/commune-54528-toul/\tCommune, population 15 785\n"
    )
    write_run(folder, "nocache")
    return folder


def test_median_and_worst_over_every_page_and_over_the_sample(results):
    run = measures.load_run(results / "nocache")

    every = measures.spread(run)
    assert (every.pages, every.median_ratio, every.worst_ratio) == (5, 8.0, 20.0)
    assert every.worst_ratio_page.label == "sample: word solidaire: search"
    assert (every.median_p95, every.worst_p95) == pytest.approx((30.0, 80.0))

    drawn = measures.spread(run, sample_only=True)
    assert (drawn.pages, drawn.median_ratio, drawn.worst_ratio) == (3, 10.0, 20.0)
    assert (drawn.median_p95, drawn.worst_p95) == pytest.approx((45.0, 80.0))


def test_an_even_count_takes_the_mean_of_the_two_middle_ratios(tmp_path):
    write_run(tmp_path, "nocache", pages=PAGES[1:5])  # ratios 2, 8, 10, 20

    found = measures.spread(measures.load_run(tmp_path / "nocache"))

    assert (found.median_ratio, found.worst_ratio) == (9.0, 20.0)


def test_the_run_is_judged_against_issue_24(results):
    found = measures.spread(measures.load_run(results / "nocache"))

    assert measures.run_verdict("nocache", found) == [
        ("median ratio ≤ 8", True),
        ("worst ratio ≤ 12", False),
        ("worst p95 < 50 ms", False),
        ("goal: worst ratio ≤ 4", False),
    ]
    assert measures.run_verdict("cache", found) == [("worst ratio ≤ 2", False)]


def test_each_page_is_judged_against_issue_24_and_the_goal(results):
    pages = {m.label: m for m in measures.load_run(results / "nocache")}

    assert measures.issue_verdict("nocache", pages["acteurs"]) == ("yes", True)
    assert measures.verdict("nocache", pages["acteurs"])[1] is False  # ratio 8 > 4
    assert measures.issue_verdict("nocache", pages["sample: word solidaire: search"]) == (
        "**NO** (ratio, p95)",
        False,
    )
    assert measures.issue_verdict("nocache", pages["floor"])[1] is None


def test_the_report_states_the_spread_the_seed_and_the_drawn_list(results):
    text, invalid = report.build(results)

    assert not invalid
    summary = text.split("## Summary", 1)[1].split("## Machine", 1)[0]
    assert "| Without cache | all, 5 | 8.00 | 20.00 (sample: word solidaire: search) |" in summary
    assert "| Without cache | the sample (seed 20261202), 3 | 10.00 |" in summary
    assert "median ratio ≤ 8: yes; worst ratio ≤ 12: **NO**" in summary
    assert "**1 page(s) over issue 24's bound**" in summary
    assert "- without cache, **sample: word solidaire: search**" in summary
    assert (
        "2 page(s) within issue 24's bound but over the goal (ratio ≤ 4): acteurs (8.00), "
        "sample: commune Toul: page (10.00)."
    ) in summary
    assert "seed **20261202**" in text
    assert "| largest departement: page | `/territoires/departement-59-nord/` |" in text


def test_the_curve_picks_the_slowest_pages_and_writes_its_section(results, tmp_path):
    assert [m.label for m in cost_curve.slowest(results, 3)] == [
        "sample: word solidaire: search",
        "sample: commune Toul: page",
        "acteurs",
    ]
    curve = tmp_path / "curve-20261202-120000"
    curve.mkdir()
    (curve / "meta.tsv").write_text("date\t2026-12-02\nseconds\t10\nconcurrency\t4\n")
    (curve / "pages.tsv").write_text("acteurs\t/acteurs/\n")
    sizes = ["structures\tlabel\tdatabase\tbuild\tresults\tstatus"]
    for count, rps in ((20000, 250.0), (200000, 125.0)):
        run = curve / str(count)
        write_run(run, "nocache", pages=[("acteurs", "/acteurs/", rps, 20.0)])
        build = curve / f"{count}-build"
        build.mkdir()
        (build / "steps.tsv").write_text("generate_bench_data\t42.5\tok\t\n")
        sizes.append(f"{count}\t{count}\tessdir_bench_{count}\t{build}\t{run}\t0")
    (curve / "sizes.tsv").write_text("\n".join(sizes) + "\n")
    output = tmp_path / "BENCHMARKS.md"
    output.write_text("# Benchmarks\n\nbefore\n")

    cost_curve.write_section(output, cost_curve.section(curve))
    cost_curve.write_section(output, cost_curve.section(curve))  # replaced, not added

    text = output.read_text()
    assert text.count("## Cost against size") == 1
    assert text.startswith("# Benchmarks\n\nbefore\n")
    assert "| 20 000 | `essdir_bench_20000` | — | 42.5 s (ok) | yes |" in text
    assert "| acteurs | 20 000 | `/acteurs/` | 10.0 | 250 | 20.0 | 4.00 | 1.00 |" in text
    assert "| acteurs | 200 000 | `/acteurs/` | 10.0 | 125 | 20.0 | 8.00 | 2.00 |" in text
    # bench/report.py keeps the section when it rewrites the file.
    assert "## Cost against size" in report.keep_other_sections(output, "# Benchmarks\n")


def test_a_reused_database_shows_the_generation_time_recorded_when_it_was_built(tmp_path):
    build = tmp_path / "curve-x" / "1m-build"
    build.mkdir(parents=True)
    (build / "steps.tsv").write_text("generate_bench_data\t0\tskipped\tBENCH_REUSE_DB=1\n")
    builds = tmp_path / cost_curve.BUILDS
    builds.write_text(
        "essdir_bench_1m\t1000000\t2400.0\t2026-12-01 10:00 UTC\n"
        "essdir_bench_1m\t1000000\t2100.5\t2026-12-02 10:00 UTC\n"
    )

    assert cost_curve.generation(build, "essdir_bench_1m", builds) == (
        "2100.5 s (built 2026-12-02 10:00 UTC, reused)"
    )
    assert cost_curve.generation(build, "essdir_bench_20k", builds) == "reused (built earlier)"
