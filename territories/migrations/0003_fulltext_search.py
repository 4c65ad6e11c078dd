"""French full-text search on PostgreSQL (nothing on SQLite, which folds accents instead).

Each searchable table gets a stored generated `search_vector` column (kept up to date by
PostgreSQL on every write) with the title weighing more than the body, and a GIN index.
`fr_unaccent` is the french configuration with accents folded (to_tsvector(unaccent(x))
is not immutable, a configuration is).
"""

from django.db import migrations

DOCUMENTS = {
    "territories_collectivite": [
        ("name", "A"), ("short_name", "A"), ("type_label", "B"), ("panorama", "C"),
        ("programme", "C"),
    ],
    "territories_scheme": [
        ("name", "A"), ("summary", "B"), ("eligibility", "C"), ("description", "C"),
    ],
    "territories_contact": [("name", "A"), ("title", "B"), ("service", "B")],
    "actors_actor": [
        ("name", "A"), ("short_description", "B"), ("legal_form", "B"), ("description", "C"),
    ],
    "events_event": [("title", "A"), ("venue", "B"), ("date_label", "B"), ("description", "C")],
}


def vector_sql(columns) -> str:
    return " || ".join(
        f"setweight(to_tsvector('fr_unaccent'::regconfig, coalesce(\"{column}\", '')), '{weight}')"
        for column, weight in columns
    )


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "DO $$ BEGIN "
        "IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'fr_unaccent') THEN "
        "CREATE TEXT SEARCH CONFIGURATION fr_unaccent (COPY = french); "
        "ALTER TEXT SEARCH CONFIGURATION fr_unaccent "
        "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem; "
        "END IF; END $$;"
    )
    for table, columns in DOCUMENTS.items():
        schema_editor.execute(
            f'ALTER TABLE "{table}" ADD COLUMN "search_vector" tsvector '
            f"GENERATED ALWAYS AS ({vector_sql(columns)}) STORED"
        )
        schema_editor.execute(
            f'CREATE INDEX "{table}_search_gin" ON "{table}" USING GIN ("search_vector")'
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in DOCUMENTS:
        schema_editor.execute(f'ALTER TABLE "{table}" DROP COLUMN IF EXISTS "search_vector"')


class Migration(migrations.Migration):
    dependencies = [
        ("territories", "0002_postgres_extensions"),
        ("actors", "0001_initial"),
        ("events", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
