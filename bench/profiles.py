#!/usr/bin/env python3
"""Profile the slowest pages of a bench run in-process: where does the time go?

    python bench/profiles.py RESULTS_DIR [--pages 6] [--missed] [--runs 30] [--max-seconds 30]
    python bench/profiles.py RESULTS_DIR --path '/acteurs/?q=insertion' [--path …]

bench/run calls it after the run without cache, with the benchmark's environment
(DATABASE_URL of the benchmark database, SECRET_KEY…); it forces DEBUG off and the page
cache off (CACHE_SECONDS=0). The pages are the --pages slowest of RESULTS_DIR/nocache (by
req/s; with --missed, of those that miss the target), or the --path given. Each page goes
through Django's WSGI handler, every middleware included, as gunicorn would call it:

1. a few warm-up requests;
2. --runs requests timed without profiler: the total, and the SQL, i.e. the time inside the
   database cursor's execute (`connection.execute_wrapper`), per statement;
3. --runs requests under cProfile. Each function's own time goes to the innermost layer it
   runs in — SQL (below the cursor's execute), ORM (django.db, rows fetched and converted
   after the execute included), templates (Jinja2 or Django's engine), middleware (the
   modules of settings.MIDDLEWARE), other (the handler, the view, URL routing, the response,
   serialisation) — following cProfile's caller edges;
   those shares split the rest of the total (total − SQL) of step 2, so that the profiler's
   own overhead does not distort the figures.

Each pass stops after --max-seconds, whatever its count. Writes RESULTS_DIR/profile/:
NN-label.prof (cProfile, `python -m pstats FILE`) and summary.json, which bench/report.py
turns into tables. Exit status: 0, or 1 when a page could not be profiled, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import cProfile
import inspect
import io
import json
import os
import pstats
import re
import statistics
import sys
import time
import traceback
from collections import defaultdict
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlsplit

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

import measures as bench_measures  # noqa: E402 (bench/measures.py, beside this file)

WARMUP = 3
TOP_QUERIES = 3
TOP_FUNCTIONS = 6
CATEGORIES = ["sql", "orm", "template", "middleware", "other"]
SQL_FUNCTIONS = {"execute", "executemany", "_execute", "_executemany", "_execute_with_wrappers"}


# ---- the pages ---------------------------------------------------------------------------------
def slowest_pages(results: Path, count: int, missed: bool = False) -> list[dict]:
    """The `count` pages of the run without cache with the fewest req/s (valid ones only);
    with `missed`, only those that miss the target (ratio or p95)."""
    measures = bench_measures.load_run(results / "nocache")
    bench_measures.compare(measures)
    pages = [
        m
        for m in measures
        if m.valid
        and m.rps
        and not m.is_bare_floor
        and not m.is_middleware_floor
        and (not missed or bench_measures.verdict("nocache", m)[1] is False)
    ]
    pages.sort(key=lambda m: m.rps)
    return [
        {"label": m.label, "path": m.path, "hey_rps": m.rps, "ratio": m.ratio}
        for m in pages[:count]
    ]


# ---- one request through the WSGI handler ------------------------------------------------------
def environ_for(path: str) -> dict:
    parts = urlsplit(path)
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(parts.path).decode("iso-8859-1"),
        "QUERY_STRING": parts.query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8123",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8123",
        "HTTP_USER_AGENT": "essdir-bench-profile",
        "HTTP_ACCEPT": "*/*",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def request(handler, path: str) -> tuple[int, int]:
    """(status, body bytes) of one GET, body consumed and response closed as gunicorn does."""
    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)
        return lambda data: None

    result = handler(environ_for(path), start_response)
    try:
        size = sum(len(chunk) for chunk in result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return int(statuses[0].split()[0]), size


class SqlTimer:
    """connection.execute_wrapper: the time inside the cursor's execute, per statement."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.seconds = 0.0
        self.count = 0
        self.statements: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - start
            self.seconds += took
            self.count += 1
            entry = self.statements[" ".join(str(sql).split())]
            entry[0] += 1
            entry[1] += took


# ---- where the time goes -----------------------------------------------------------------------
class Layers:
    """The layer a function belongs to, from its file (None: it runs in its caller's)."""

    def __init__(self, middleware_files: set[str]):
        self.middleware_files = middleware_files

    def __call__(self, key) -> str | None:
        filename, _, function = key
        path = filename.replace("\\", "/")
        if path == "~" or path.startswith("<"):
            return None
        if path.endswith("/django/db/backends/utils.py") and function in SQL_FUNCTIONS:
            return "sql"
        if "/django/db/" in path or "/django/contrib/postgres/" in path:
            return "orm"
        if (
            "/django/template/" in path
            or "/templatetags/" in path
            or "/jinja2/" in path
            or path.endswith("/essdir/templating.py")
        ):
            return "template"
        if path in self.middleware_files or (
            path.endswith("/django/utils/deprecation.py") and function in {"__call__", "__acall__"}
        ):
            return "middleware"
        if "/django/core/handlers/" in path:
            return "other"
        return None


def middleware_files(middleware: list[str]) -> set[str]:
    from django.utils.module_loading import import_string

    files = set()
    for dotted in middleware:
        try:
            source = inspect.getsourcefile(import_string(dotted))
        except (ImportError, TypeError):
            continue
        if source:
            files |= {source, os.path.realpath(source)}
    return files


def split_by_layer(stats: dict, layer_of) -> tuple[dict[str, float], dict]:
    """(own seconds per layer, layer shares per function) from pstats' raw stats.

    A function of no layer runs in its callers' layers, in proportion of the time each
    caller edge spent in it (cProfile keeps own and cumulative time per caller edge).
    """
    own_layer = {key: layer_of(key) for key in stats}
    shares: dict = {key: {layer: 1.0} for key, layer in own_layer.items() if layer}
    pending = [key for key, layer in own_layer.items() if not layer]
    for _ in range(60):  # a fixed point; recursion converges within a few rounds
        changed = False
        for key in pending:
            callers = stats[key][4]
            mix: dict[str, float] = defaultdict(float)
            if not callers:
                mix["other"] = 1.0
            for caller, edge in callers.items():
                weight = edge[3] if edge[3] > 0 else 1e-9 * max(edge[0], 1)
                for layer, share in shares.get(caller, {}).items():
                    mix[layer] += weight * share
            total = sum(mix.values())
            if total <= 0:
                continue
            new = {layer: value / total for layer, value in mix.items()}
            old = shares.get(key, {})
            if any(abs(new.get(k, 0) - old.get(k, 0)) > 1e-6 for k in new.keys() | old.keys()):
                shares[key] = new
                changed = True
        if not changed:
            break
    seconds: dict[str, float] = defaultdict(float)
    for key, (_, _, own, _, callers) in stats.items():
        if own_layer[key]:
            seconds[own_layer[key]] += own
            continue
        edges = [(caller, edge[2]) for caller, edge in callers.items()]
        counted = sum(value for _, value in edges)
        if not edges or counted <= 0:
            for layer, share in shares.get(key, {"other": 1.0}).items():
                seconds[layer] += own * share
            continue
        for caller, value in edges:
            for layer, share in shares.get(caller, {"other": 1.0}).items():
                seconds[layer] += own * (value / counted) * share
    return dict(seconds), shares


def summarise_sql(sql: str, length: int = 200) -> str:
    """A statement, readable in a table: no quotes, no long column list, at most `length`."""
    text = " ".join(sql.replace('"', "").split())
    match = re.match(r"(SELECT (?:DISTINCT )?)(.*?)( FROM .*)$", text)
    if match and len(match.group(2)) > 40:
        text = f"{match.group(1)}…{match.group(3)}"
    return text if len(text) <= length else text[: length - 1] + "…"


def short_name(key) -> str:
    filename, line, function = key
    if filename == "~":
        return function
    path = filename.replace("\\", "/")
    for marker in ("/site-packages/", f"{ROOT.as_posix()}/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    else:
        path = re.sub(r"^.*/lib/python3\.\d+/", "", path)
    return f"{path}:{line}({function})"


def dominant(shares: dict[str, float]) -> str:
    return max(shares.items(), key=lambda item: item[1])[0] if shares else "other"


# ---- one page ------------------------------------------------------------------------------------
def profile_page(handler, connection, page: dict, args, out: Path, number: int, layer_of) -> dict:
    path = page["path"]
    timer = SqlTimer()
    with connection.execute_wrapper(timer):
        status, size = 0, 0
        for _ in range(args.warmup):
            status, size = request(handler, path)
        # 2. timed, no profiler
        timer.reset()
        times = []
        started = time.perf_counter()
        while len(times) < args.runs and time.perf_counter() - started < args.max_seconds:
            t0 = time.perf_counter()
            status, size = request(handler, path)
            times.append(time.perf_counter() - t0)
        sql_seconds, queries = timer.seconds, timer.count
        statements = {sql: tuple(entry) for sql, entry in timer.statements.items()}
        # 3. under cProfile
        profiler = cProfile.Profile()
        profiled = 0
        started = time.perf_counter()
        while profiled < args.runs and time.perf_counter() - started < args.max_seconds:
            profiler.enable()
            request(handler, path)
            profiler.disable()
            profiled += 1
        profiled_seconds = time.perf_counter() - started

    slug = re.sub(r"[^A-Za-z0-9]+", "_", page["label"]).strip("_") or "page"
    prof_file = out / f"{number:02d}-{slug}.prof"
    profiler.dump_stats(prof_file)
    stats = pstats.Stats(profiler).stats
    seconds, shares = split_by_layer(stats, layer_of)

    runs = len(times)
    wall_ms = 1000 * sum(times) / runs
    sql_ms = 1000 * sql_seconds / runs
    rest_ms = max(wall_ms - sql_ms, 0.0)
    profiled_rest = sum(value for layer, value in seconds.items() if layer != "sql")
    categories = {"sql": sql_ms}
    for layer in CATEGORIES[1:]:
        share = seconds.get(layer, 0.0) / profiled_rest if profiled_rest else 0.0
        categories[layer] = rest_ms * share
    top_queries = sorted(statements.items(), key=lambda item: item[1][1], reverse=True)
    top_functions = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)
    return {
        **page,
        "status": status,
        "bytes": size,
        "runs": runs,
        "profiled_runs": profiled,
        "wall_ms": wall_ms,
        "wall_ms_median": 1000 * statistics.median(times),
        "sql_ms": sql_ms,
        "queries": queries / runs,
        "profiled_ms": 1000 * profiled_seconds / max(profiled, 1),
        "categories": categories,
        "profile_seconds_by_layer": {k: v / max(profiled, 1) for k, v in seconds.items()},
        "top_queries": [
            {
                "sql": summarise_sql(sql),
                "calls": calls / runs,
                "ms": 1000 * took / runs,
            }
            for sql, (calls, took) in top_queries[:TOP_QUERIES]
        ],
        "top_functions": [
            {
                "function": short_name(key),
                "category": layer_of(key) or dominant(shares.get(key, {})),
                "calls": value[1] / max(profiled, 1),
                "own_ms": 1000 * value[2] / max(profiled, 1),
            }
            for key, value in top_functions[:TOP_FUNCTIONS]
        ],
        "prof_file": f"profile/{prof_file.name}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", help="a bench/results/<stamp> folder")
    parser.add_argument("--pages", type=int, default=6, help="how many of the slowest pages")
    parser.add_argument(
        "--missed", action="store_true", help="only the pages that miss the uncached target"
    )
    parser.add_argument("--path", action="append", default=[], help="profile this path instead")
    parser.add_argument("--runs", type=int, default=30, help="requests per page and per pass")
    parser.add_argument("--max-seconds", type=float, default=30.0, help="per page and per pass")
    parser.add_argument("--warmup", type=int, default=WARMUP)
    args = parser.parse_args(argv)
    results = Path(args.results).resolve()
    if not results.is_dir() or args.runs < 1:
        parser.error("RESULTS must be a results folder and --runs at least 1")
    if not os.environ.get("DATABASE_URL"):
        parser.error("DATABASE_URL is not set: run it with the benchmark's environment")
    out = results / "profile"
    out.mkdir(exist_ok=True)

    os.environ["DEBUG"] = "0"
    os.environ["CACHE_SECONDS"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")

    pages = [{"label": path, "path": path} for path in args.path]
    if not pages:
        pages = slowest_pages(results, args.pages, missed=args.missed)
    summary: dict = {
        "runs": args.runs,
        "warmup": args.warmup,
        "selection": "missed" if args.missed and not args.path else "slowest",
        "pages": [],
    }
    failed = False
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.handlers.wsgi import WSGIHandler
        from django.db import connection

        if settings.DEBUG or settings.CACHE_MIDDLEWARE_SECONDS != 0:
            raise RuntimeError("DEBUG and the page cache must be off")
        handler = WSGIHandler()
        layer_of = Layers(middleware_files(settings.MIDDLEWARE))
        summary["database"] = settings.DATABASES["default"].get("NAME", "?")
        for number, page in enumerate(pages, 1):
            t0 = time.perf_counter()
            try:
                result = profile_page(handler, connection, page, args, out, number, layer_of)
            except Exception as error:  # one broken page does not stop the others
                failed = True
                traceback.print_exc()
                result = {**page, "error": f"{type(error).__name__}: {error}"}
            summary["pages"].append(result)
            print(
                f"profile: {page['label']:<26} {result.get('wall_ms', 0):7.1f} ms/request, "
                f"SQL {result.get('sql_ms', 0):6.1f} ms ({result.get('queries', 0):.1f} "
                f"queries) — {time.perf_counter() - t0:.1f} s"
                + (f" — ERROR {result['error']}" if "error" in result else ""),
                flush=True,
            )
    except Exception as error:
        failed = True
        traceback.print_exc()
        summary["error"] = f"{type(error).__name__}: {error}"
    (out / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    print(f"profile: wrote {out / 'summary.json'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
