"""French full-text search on PostgreSQL for this app's table (see territories 0003).

Databases migrated before this migration existed got the column from territories 0003:
the step is idempotent (IF NOT EXISTS).
"""

from django.db import migrations

from essdir.core.search import add_search_vector, drop_search_vector

TABLE = "actors_actor"
COLUMNS = [("name", "A"), ("short_description", "B"), ("legal_form", "B"), ("description", "C")]


def forwards(apps, schema_editor):
    add_search_vector(schema_editor, TABLE, COLUMNS)


def backwards(apps, schema_editor):
    drop_search_vector(schema_editor, TABLE)


class Migration(migrations.Migration):
    dependencies = [
        ("actors", "0002_actor_list_indexes"),
        ("territories", "0003_fulltext_search"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
