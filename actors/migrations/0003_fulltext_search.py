# Full-text search column of this app's table (see territories 0003). Databases migrated
# before this migration existed got it from territories 0003: the step is idempotent.
from django.db import migrations

from core.search import search_vector_operation


class Migration(migrations.Migration):
    dependencies = [("actors", "0002_actor_list_indexes"), ("territories", "0003_fulltext_search")]

    operations = [search_vector_operation("actors_actor", [("name", "A"), ("short_description", "B"), ("legal_form", "B"), ("description", "C")])]
