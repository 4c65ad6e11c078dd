"""Grants collectivités award (SCDL « Subventions »), one module per concept:

- `files`: the imported files (`GrantFile`), the unit staff upload, publish and delete;
- `grants`: their lines (`Grant`), linked to the structures they fund.

`files` comes first (a grant names its file). This package re-exports their public names.
"""

from grants.models.files import GrantFile, GrantFileQuerySet
from grants.models.grants import Grant, GrantQuerySet, MatchKind

__all__ = ["Grant", "GrantFile", "GrantFileQuerySet", "GrantQuerySet", "MatchKind"]
