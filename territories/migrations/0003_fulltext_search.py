"""French full-text search on PostgreSQL (nothing on SQLite, which folds accents instead).

Each searchable table gets a stored generated `search_vector` column (kept up to date by
PostgreSQL on every write) with the title weighing more than the body, and a GIN index.
`fr_unaccent` is the french configuration with accents folded (to_tsvector(unaccent(x))
is not immutable, a configuration is). The actors and events apps add their own columns
in their migrations 0003.
"""

from django.db import migrations

from core.search import add_search_vector, drop_search_vector

DOCUMENTS = {
    "territories_collectivite": [
        ("name", "A"), ("short_name", "A"), ("type_label", "B"), ("panorama", "C"),
        ("programme", "C"),
    ],
    "territories_scheme": [
        ("name", "A"), ("summary", "B"), ("eligibility", "C"), ("description", "C"),
    ],
    "territories_contact": [("name", "A"), ("title", "B"), ("service", "B")],
}


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
        add_search_vector(schema_editor, table, columns)


def backwards(apps, schema_editor):
    for table in DOCUMENTS:
        drop_search_vector(schema_editor, table)


class Migration(migrations.Migration):
    dependencies = [("territories", "0002_postgres_extensions")]

    operations = [migrations.RunPython(forwards, backwards)]
