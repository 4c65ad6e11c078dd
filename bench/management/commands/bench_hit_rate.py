"""The page cache's hit rate under a mixed read/write load, with one version for the whole
site (as before) and with the tags each page declares (core.caching).

In process, with Django's test client, over the benchmark's database: reads drawn from a
realistic mix (lists, records, territory pages, filtered lists, search) with the
popularity of a Zipf law, and writes that edit the description of existing structures and
events (drawn with the same popularity: the pages people read are those edited most), each
in its own committed transaction as the admin does. Time is simulated: each second is
`--reads-per-second` reads with `--writes-per-second` writes spread among them, so that
the figures do not depend on how fast this machine renders. Both modes replay the same
draw. The pages' caches are local memory here (the shared one of production never sees
the measure's versions); the descriptions edited are put back at the end, updated_at
included. Read-only otherwise.

    DJANGO_SETTINGS_MODULE=bench.settings manage.py bench_hit_rate \\
        --reads-per-second 200 --writes-per-second 1 --seconds 30 --output bench/hit_rate.md
"""

from __future__ import annotations

import bisect
import itertools
import json
import random
import re
import time
from pathlib import Path

from django.core.cache import caches
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Least
from django.test import Client, override_settings

from actors.models import Actor
from core import caching
from events.models import Event
from territories.models import Territory, TerritoryKind, Theme

WORDS = ["insertion", "cooperative", "emploi", "culture", "solidaire", "mutuelle", "sport"]
MODES = {"global": "global version", "tags": "per-page tags"}
# What a write appends to a description, taken off again at the end.
EDITED = re.compile(r"(\n\n\(edited \d+\))+$")
LOCAL = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "OPTIONS": {"MAX_ENTRIES": 1_000_000},
}


class Zipf:
    """Draws from `items`, the first the most popular (weight 1 / rank)."""

    def __init__(self, items):
        self.items = list(items)
        self.cumulative = list(itertools.accumulate(1 / rank for rank in range(1, len(self) + 1)))

    def __len__(self):
        return len(self.items)

    def draw(self, rng: random.Random):
        return self.items[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]


class Command(BaseCommand):
    help = "Measure the page cache's hit rate under reads and writes, before and after tags."

    def add_arguments(self, parser):
        parser.add_argument("--reads-per-second", type=int, default=200)
        parser.add_argument("--writes-per-second", type=float, default=1.0)
        parser.add_argument("--seconds", type=int, default=30, help="measured (simulated)")
        parser.add_argument("--warmup-seconds", type=int, default=10, help="reads only, first")
        parser.add_argument("--event-writes", type=float, default=0.2, help="share of events")
        parser.add_argument("--records", type=int, default=3000, help="structures read")
        parser.add_argument("--seed", type=int, default=20261202)
        parser.add_argument(
            "--mode",
            choices=["both", *MODES],
            default="both",
            help="one mode only (two processes side by side, each with --json)",
        )
        parser.add_argument("--json", help="write this mode's counts here")
        parser.add_argument("--combine", nargs="+", help="report from these --json files")
        parser.add_argument("--output", help="also write the result here (Markdown)")

    def handle(self, *args, **options):
        if options["combine"]:
            kept = [json.loads(Path(p).read_text(encoding="utf-8")) for p in options["combine"]]
            results = {k["mode"]: k for k in kept}
            output = options["output"]
            options = {**kept[0]["options"], "output": output}
            self.finish(results, options, options["kinds"])
            return
        rng = random.Random(options["seed"])
        records = options["records"]
        actors = self.sample(Actor, records, rng)
        events = self.sample(Event, max(1, records // 3), rng)
        mix = self.read_mix(actors, events, rng)
        actors, events = Zipf(actors), Zipf(events)
        plan = self.plan(mix, actors, events, rng, options)
        originals = {}
        results = {}
        modes = MODES if options["mode"] == "both" else {options["mode"]: MODES[options["mode"]]}
        try:
            local = {"default": LOCAL, "pages": LOCAL}
            # The simulated run (a few minutes at most) is shorter than the pages' lifetime
            # (CACHE_SECONDS, 300 s), but its real duration may not be: no page expires here.
            with override_settings(CACHES=local, CACHE_MIDDLEWARE_SECONDS=24 * 3600):
                for mode, label in modes.items():
                    results[label] = self.run(mode, plan, originals)
        finally:
            caching.PER_PAGE_TAGS = True
            self.restore(originals)
        options["kinds"] = len(mix)
        if options["json"]:
            (label,) = results
            kept = {"mode": label, **results[label], "options": options}
            Path(options["json"]).write_text(json.dumps(kept, default=str), encoding="utf-8")
        self.finish(results, options, len(mix))

    def finish(self, results, options, kinds: int) -> None:
        report = self.report(results, options, kinds)
        self.stdout.write(report)
        if options["output"]:
            Path(options["output"]).write_text(report, encoding="utf-8")

    # --- What is read and written -------------------------------------------------------

    def sample(self, model, size: int, rng: random.Random) -> list[tuple[int, str]]:
        rows = list(model.objects.published().order_by("pk").values_list("pk", "slug"))
        return rng.sample(rows, min(size, len(rows)))

    def read_mix(self, actors, events, rng: random.Random) -> list[tuple[Zipf, float, str]]:
        """(URLs by popularity, weight, class) for each kind of page."""
        by_size = Territory.objects.order_by("-population", "pk")
        departements = list(by_size.filter(kind=TerritoryKind.DEPARTEMENT)[:101])
        regions = list(by_size.filter(kind=TerritoryKind.REGION))
        communes = list(by_size.filter(kind=TerritoryKind.COMMUNE)[:500])
        rng.shuffle(departements)  # popularity is not only size
        themes = list(Theme.objects.order_by("pk").values_list("slug", flat=True))
        page = Territory.get_absolute_url

        def urls(items):
            return Zipf(items)

        return [
            (urls(["/"]), 4, "home, search"),
            (urls([f"/recherche/?q={word}" for word in WORDS]), 3, "home, search"),
            (urls(["/acteurs/", *[f"/acteurs/?page={n}" for n in range(2, 11)]]), 9, "lists"),
            (urls(["/evenements/"]), 3, "lists"),
            (urls(["/collectivites/"]), 2, "lists"),
            (urls([f"/acteurs/?theme={slug}" for slug in themes] or ["/acteurs/"]), 3, "lists"),
            (urls([page(t) for t in departements]), 8, "territory pages"),
            (urls([page(t) for t in communes]), 8, "territory pages"),
            (urls([page(t) for t in regions]), 3, "territory pages"),
            (
                urls([f"/acteurs/?territoire={t.short_slug}" for t in departements]),
                8,
                "filtered lists",
            ),
            (urls([f"/acteurs/?territoire={t.short_slug}" for t in communes]), 4, "filtered lists"),
            (urls([f"/acteurs/?territoire={t.short_slug}" for t in regions]), 2, "filtered lists"),
            (
                urls([f"/evenements/?territoire={t.short_slug}" for t in departements]),
                3,
                "filtered lists",
            ),
            (urls([f"/acteurs/{slug}/" for _, slug in actors]), 30, "records"),
            (urls([f"/evenements/{slug}/" for _, slug in events]), 8, "records"),
        ]

    def plan(self, mix, actors: Zipf, events: Zipf, rng: random.Random, options) -> list:
        """The same sequence for both modes: ("read", url, class) and ("write", model, pk)."""
        weights = list(itertools.accumulate(weight for _, weight, _ in mix))
        reads, writes = options["reads_per_second"], options["writes_per_second"]

        def read():
            urls, _, kind = mix[bisect.bisect(weights, rng.random() * weights[-1])]
            return ("read", urls.draw(rng), kind)

        steps = [("warmup", read()[1], "") for _ in range(options["warmup_seconds"] * reads)]
        owed = 0.0
        for _ in range(options["seconds"]):
            owed += writes
            second = [read() for _ in range(reads)]
            while owed >= 1:
                owed -= 1
                model, pool = (
                    (Event, events)
                    if rng.random() < options["event_writes"]
                    else (
                        Actor,
                        actors,
                    )
                )
                second.insert(rng.randrange(len(second) + 1), ("write", model, pool.draw(rng)[0]))
            steps.extend(second)
        return steps

    # --- The measure --------------------------------------------------------------------

    def run(self, mode: str, plan, originals) -> dict:
        caching.PER_PAGE_TAGS = mode == "tags"
        for name in ("default", "pages"):
            caches[name].clear()
        caching._memo.clear()
        client = Client(HTTP_HOST="127.0.0.1")
        counted = {}
        seen = set()
        writes = 0
        started = time.monotonic()
        for done, step in enumerate(plan, 1):
            if done % 1000 == 0:
                self.stderr.write(f"{mode}: {done}/{len(plan)}, {time.monotonic() - started:.0f} s")
            if step[0] == "write":
                self.write(step[1], step[2], originals)
                writes += 1
                continue
            before = caching.stats["hit"]
            response = client.get(step[1])
            if response.status_code != 200:
                raise RuntimeError(f"{step[1]} answered {response.status_code}")
            first = step[1] not in seen
            seen.add(step[1])
            if step[0] == "read":
                hit = caching.stats["hit"] > before
                for kind in (step[2], "all"):
                    total, hits, cold = counted.get(kind, (0, 0, 0))
                    # A page never asked for before is a miss whatever the invalidation.
                    counted[kind] = (total + 1, hits + hit, cold + (first and not hit))
        self.stderr.write(f"{mode}: {time.monotonic() - started:.0f} s")
        return {"counted": counted, "writes": writes}

    def write(self, model, pk: int, originals) -> None:
        with transaction.atomic():
            record = model.objects.get(pk=pk)
            clean = EDITED.sub("", record.description)
            originals.setdefault((model, pk), (clean, record.updated_at))
            record.description = f"{clean}\n\n(edited {time.time_ns()})"
            record.save()

    def restore(self, originals) -> None:
        # Another process of the measure may have written the record first: the earliest
        # date read is the record's own.
        for (model, pk), (description, updated_at) in originals.items():
            model.objects.filter(pk=pk).update(
                description=description, updated_at=Least(F("updated_at"), Value(updated_at))
            )

    def report(self, results, options, kinds: int) -> str:
        modes = list(results)
        classes = ["all", "records", "territory pages", "filtered lists", "lists", "home, search"]
        lines = [
            f"In process over the benchmark's database, simulated time: "
            f"{options['reads_per_second']} reads and {options['writes_per_second']:g} write(s) "
            f"per second for {options['seconds']} s after {options['warmup_seconds']} s of "
            f"reads alone ({results[modes[0]]['writes']} writes: descriptions of structures "
            f"and, for {options['event_writes']:.0%}, of events, drawn with the reads' "
            f"popularity; {kinds} kinds of page, Zipf popularity within each, "
            f"{options['records']} structures and {max(1, options['records'] // 3)} events "
            f"among the records; no page expires: the pages live 300 s, longer than the "
            f"simulated run). "
            f"`manage.py bench_hit_rate` (bench/management/commands/bench_hit_rate.py).",
            "",
            "Hit rate: pages served from the cache among all reads; in brackets, among the "
            "reads of pages asked for before in the run (a first request misses whatever "
            "the invalidation).",
            "",
            "| pages | reads | " + " | ".join(f"hit rate, {mode}" for mode in modes) + " |",
            "| --- | ---: | " + " | ".join("---:" for _ in modes) + " |",
        ]
        for kind in classes:
            total = results[modes[0]]["counted"].get(kind, (0, 0, 0))[0]
            if not total:
                continue
            rates = []
            for mode in modes:
                count, hits, cold = results[mode]["counted"].get(kind, (0, 0, 0))
                again = count - cold
                rates.append(
                    f"{hits / count:.1%} ({hits / again:.1%})" if again else f"{hits / count:.1%}"
                )
            lines.append(f"| {kind} | {total} | " + " | ".join(rates) + " |")
        return "\n".join(lines) + "\n"
