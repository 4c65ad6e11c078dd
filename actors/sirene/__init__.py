"""INSEE's SIRENE register: reading its stock files and importing the ESS structures.

- `reader`: streams the stock files and keeps the ESS units and their establishments,
  with `files` (opening zip or CSV files, the prefilter), `values` (one value at a time:
  identifiers, addresses, coordinates) and `reference` (NAF labels, legal categories);
- `importer`: `import_sirene`, the writer of actors and establishments, with `report`
  (what an import did) and `bulk` (COPY and batches);
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
