"""Reading data·inclusion's files as a stream, row by row: a JSON array of rows (as
data·inclusion publishes them on data.gouv.fr), or a CSV with a header (lists written as
JSON arrays or comma-separated; cells typed as the schema says). Memory holds one row (and
a buffer of CHUNK characters), whatever the file's size: standard library only (the JSON
array is cut into its values with json.JSONDecoder.raw_decode).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

CHUNK = 1 << 16
# A row longer than this is no data·inclusion row: the file is refused rather than read
# whole into memory looking for its end.
MAX_ROW = 16 << 20
_SPACE = " \t\n\r"


class ImportError_(Exception):
    """The files cannot be read at all (in French)."""


class _JsonArray:
    """The values of a JSON array, read from a text stream one at a time."""

    def __init__(self, handle, name: str):
        self.handle = handle
        self.name = name
        self.buffer = ""
        self.pos = 0
        self.eof = False
        self.decoder = json.JSONDecoder()

    def _more(self) -> bool:
        if self.eof:
            return False
        chunk = self.handle.read(CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.buffer = self.buffer[self.pos :] + chunk
        self.pos = 0
        if len(self.buffer) > MAX_ROW:
            raise ImportError_(
                f"{self.name} : fichier illisible (une ligne de plus de {MAX_ROW >> 20} Mo, "
                "ou un JSON mal formé)."
            )
        return True

    def _peek(self) -> str:
        """The next character that is not white space ("" at the end of the file)."""
        while True:
            while self.pos < len(self.buffer) and self.buffer[self.pos] in _SPACE:
                self.pos += 1
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self._more():
                return ""

    def _value(self, number: int):
        self._peek()  # raw_decode does not skip white space
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as error:
                if self._more():
                    continue
                raise ImportError_(
                    f"{self.name} : fichier illisible (JSON invalide à la ligne {number} du "
                    f"tableau : {error.msg})."
                ) from error
            # A number may go on in the next chunk.
            if end == len(self.buffer) and self._more():
                continue
            self.pos = end
            return value

    def __iter__(self) -> Iterator[tuple[int, object]]:
        if self._peek() != "[":
            raise ImportError_(f"{self.name} : un tableau JSON de lignes est attendu.")
        self.pos += 1
        number = 0
        if self._peek() == "]":
            self.pos += 1
        else:
            while True:
                number += 1
                yield number, self._value(number)
                following = self._peek()
                self.pos += 1
                if following == "]":
                    break
                if following != ",":
                    raise ImportError_(
                        f"{self.name} : fichier illisible (JSON invalide après la ligne "
                        f"{number} du tableau)."
                    )
        if self._peek() != "":
            raise ImportError_(f"{self.name} : fichier illisible (texte après le tableau JSON).")


def csv_value(value: str, spec: dict):
    """A CSV cell typed as the schema's property says (empty is null); what cannot be
    typed is left as text, for the schema to reject."""
    if value == "":
        return None
    types = {option.get("type") for option in spec.get("anyOf", [spec])}
    try:
        if "array" in types:
            if value.startswith("["):
                return json.loads(value)
            return [item.strip() for item in value.split(",") if item.strip()]
        if "integer" in types:
            return int(value)
        if "number" in types:
            return float(value)
    except ValueError:
        return value
    return value


def iter_rows(path: Path, properties: dict) -> Iterator[tuple[int, object]]:
    """(row number, row) of a data·inclusion file, streamed; `properties` the schema's, to
    type CSV cells. Raises ImportError_ when the file cannot be read (wherever it fails)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            if path.suffix.lower() == ".csv":
                for number, row in enumerate(csv.DictReader(handle), start=1):
                    yield (
                        number,
                        {
                            key: csv_value(value or "", properties.get(key, {}))
                            for key, value in row.items()
                            if key is not None
                        },
                    )
            else:
                yield from _JsonArray(handle, path.name)
    except (OSError, ValueError, csv.Error) as error:  # UnicodeDecodeError is a ValueError
        raise ImportError_(f"{path} : fichier illisible ({error}).") from error
