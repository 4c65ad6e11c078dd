"""INSEE's SIRENE register: reading its stock files and importing the ESS structures.

- `reader`: streams the stock files and keeps the ESS units and their establishments
  (`records`: what it gives), with `files` (opening zip or CSV files, the prefilter),
  `values` (one value at a time: identifiers, addresses, coordinates, damaged values) and
  `reference` (NAF labels, legal categories);
- `importer`: `import_sirene`, with `units` (what it holds while establishments stream),
  `writer` (the writes of actors and establishments), `report` (what an import did),
  `bulk` (COPY and batches) and `runs` (one run at a time, each recorded step by step,
  and what an interrupted one left undone finished by the next);
- `synthetic`: files in INSEE's exact layout, for the tests and the benchmark.

Re-exported here: the reading and the reference tables, which need no database. The
importer is imported from `actors.sirene.importer`: it writes through actors.models, which
reads this package's reference tables, so importing it here would make a cycle.
"""

from actors.sirene.files import SireneFormatError
from actors.sirene.reader import (
    Area,
    Establishment,
    FileReport,
    ReadReport,
    RowError,
    Unit,
    read_establishments,
    read_geolocation,
    read_units,
)
from actors.sirene.reference import ess_family, legal_category_label, naf_label
from actors.sirene.values import Coordinates

__all__ = [
    "Area",
    "Coordinates",
    "Establishment",
    "FileReport",
    "ReadReport",
    "RowError",
    "SireneFormatError",
    "Unit",
    "ess_family",
    "legal_category_label",
    "naf_label",
    "read_establishments",
    "read_geolocation",
    "read_units",
]
