import datetime
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from bench.sample import COMPUTED, TERRITORIES, WORDS, all_urls


def date_seed(value: str) -> int:
    if not value.isdigit() or len(value) > 12:
        raise ValueError(value)
    return int(value)


class Command(BaseCommand):
    help = (
        "Print the URLs `make bench` adds after bench/urls.txt, computed from this database: "
        "the largest territories, common words, deep pages, and a sample of territories and "
        "words drawn from --seed (see bench/sample.py). One 'label<TAB>path<TAB>note' a line."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed",
            type=date_seed,
            default=int(datetime.date.today().strftime("%Y%m%d")),
            help="Seed of the sample (digits; default: today's date, YYYYMMDD).",
        )
        parser.add_argument("--territories", type=int, default=TERRITORIES)
        parser.add_argument("--words", type=int, default=WORDS)
        parser.add_argument(
            "--resolve",
            metavar="FILE",
            help="Print FILE's 'label<TAB>path' lines instead, each label this command "
            "computes given its path on this database (another size's deep page…), the "
            "others unchanged.",
        )

    def handle(self, *args, seed, territories, words, resolve, **options):
        if not (0 <= territories <= 200 and 0 <= words <= 100):
            raise CommandError("--territories takes 0 to 200, --words 0 to 100")
        urls = all_urls(seed, territories, words)
        if resolve:
            try:
                lines = Path(resolve).read_text().splitlines()
            except OSError as error:
                raise CommandError(f"cannot read {resolve}: {error}") from error
            here = {url.label: url for url in urls}
            for line in lines:
                if not line.strip() or line.startswith("#"):
                    continue
                label = line.partition("\t")[0]
                if label in here:
                    self.stdout.write(here[label].line())
                else:
                    if label.startswith(COMPUTED):
                        print(f"bench_sample: '{label}' not computed here: kept", file=sys.stderr)
                    self.stdout.write(line)
            return
        for url in urls:
            self.stdout.write(url.line())
