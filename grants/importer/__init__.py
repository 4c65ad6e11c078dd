"""Reading, checking and storing a SCDL « Subventions » file, in two passes over a stream.

- `reader`: the bytes (UTF-8, with or without BOM; anything else is refused clearly), the
  delimiter and the header, then one row at a time with its line number;
- `rows`: one row checked against the schema (grants.schema) and turned into a `Grant`;
- `matching`: grants linked to the structures of the directory by SIRET, SIREN or RNA;
- `writer`: the second pass, in one transaction — the file's years replaced, its grants
  written by batches;
- `report`: what an import found and did, for the command and the back-office.

The first pass (`rows.validate`) keeps no row, only what the file-wide checks need (one
integer per line for the duplicates), so memory stays bounded whatever the file's size;
`grants.services.import_grants` runs both passes.
"""
