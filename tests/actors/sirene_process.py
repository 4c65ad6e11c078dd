"""A process of its own running SIRENE imports on a SQLite file, for the test that kills it
(tests/actors/test_import_kill.py).

    python -m tests.actors.sirene_process ACTION…

with DATABASE_URL set (a migrated SQLite file). Actions, run in order: `geography` (load the
test geography), `import:DIR` (import_sirene on DIR's two stock files),
`import:DIR:die-at-STEP` (the same, printing "DYING" and waiting to be killed when STEP
begins: `places`, `panoramas` or `batch-N`), `refresh` (refresh_panoramas), `snapshot`
(print tests.actors.sirene_helpers' snapshot as JSON).
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "essdir.settings")


def _wait_to_be_killed(*args, **kwargs):
    print("DYING", flush=True)
    time.sleep(600)
    raise SystemExit("not killed")


def _die_at(step: str) -> None:
    from actors import derived
    from actors.sirene.writer import SireneWriter

    if step == "places":
        derived._places_sql = _wait_to_be_killed
    elif step == "panoramas":
        derived.refresh_panoramas = _wait_to_be_killed
    elif step.startswith("batch-"):
        at = int(step.removeprefix("batch-"))
        original = SireneWriter.write_batch
        calls = {"n": 0}

        def write_batch(self, batch):
            calls["n"] += 1
            if calls["n"] == at:
                _wait_to_be_killed()
            return original(self, batch)

        SireneWriter.write_batch = write_batch
    else:
        raise SystemExit(f"unknown step {step}")


def main(actions: list[str]) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from actors.sirene import importer

    # Batches of 3 rows, so that a kill can fall between two of them.
    importer.import_sirene.__kwdefaults__["batch_size"] = 3

    for action in actions:
        kind, _, rest = action.partition(":")
        if kind == "geography":
            from tests.geo import load_test_geography

            load_test_geography()
        elif kind == "import":
            directory, _, dying = rest.partition(":")
            if dying:
                _die_at(dying.removeprefix("die-at-"))
            call_command(
                "import_sirene",
                "--unites",
                f"{directory}/StockUniteLegale_utf8.zip",
                "--etablissements",
                f"{directory}/StockEtablissement_utf8.zip",
                stdout=sys.stderr,
            )
        elif kind == "refresh":
            call_command("refresh_panoramas", stdout=sys.stderr)
        elif kind == "snapshot":
            from tests.actors.sirene_helpers import snapshot

            print(json.dumps(snapshot(), default=str), flush=True)
        else:
            raise SystemExit(f"unknown action {action}")


if __name__ == "__main__":
    main(sys.argv[1:])
