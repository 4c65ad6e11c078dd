import csv
import json
import re
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

DEFAULT_OUTPUT = Path(settings.BASE_DIR) / "fixtures" / "sirene" / "naf.csv"

# Divisions (88), groups (88.9), classes (88.99) and sous-classes (88.99B) of NAF rév. 2.
NAF_CODE = re.compile(r"\d{2}(\.\d(\d[A-Z]?)?)?")


def read_codes(source: Path) -> list[tuple[str, str]]:
    """The (code, label) pairs of @socialgouv/codes-naf's index.json, checked."""
    try:
        entries = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CommandError(f"Impossible de lire {source} : {error}") from error
    if not isinstance(entries, list):
        raise CommandError(f"{source} n'est pas une liste de codes NAF.")
    codes: list[tuple[str, str]] = []
    seen: set[str] = set()
    for position, entry in enumerate(entries):
        code = entry.get("id") if isinstance(entry, dict) else None
        label = entry.get("label") if isinstance(entry, dict) else None
        if not (isinstance(code, str) and NAF_CODE.fullmatch(code) and isinstance(label, str)):
            raise CommandError(f"{source} : entrée n° {position + 1} inattendue : {entry!r}")
        if code in seen:
            raise CommandError(f"{source} : code NAF en double : {code}")
        seen.add(code)
        codes.append((code, " ".join(label.split())))
    if not codes:
        raise CommandError(f"{source} ne contient aucun code NAF.")
    return codes


def write_extract(codes: list[tuple[str, str]], output: Path) -> None:
    """Write code,label rows in the package's order (the nomenclature's)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(["code", "label"])
        writer.writerows(codes)


class Command(BaseCommand):
    help = (
        "Rebuild fixtures/sirene/naf.csv (NAF rév. 2 labels, every level) from the JSON of "
        "the npm package @socialgouv/codes-naf."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--source",
            type=Path,
            required=True,
            help="The package's index.json, e.g. node_modules/@socialgouv/codes-naf/index.json.",
        )
        parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)

    def handle(self, *args, source: Path, output: Path, **options):
        codes = read_codes(source)
        write_extract(codes, output)
        # The package.json beside index.json says which version the extract comes from.
        version = ""
        package = source.parent / "package.json"
        if package.is_file():
            try:
                version = " " + json.loads(package.read_text(encoding="utf-8"))["version"]
            except (ValueError, KeyError):
                version = ""
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(codes)} codes NAF écrits dans {output} (@socialgouv/codes-naf{version})."
            )
        )
