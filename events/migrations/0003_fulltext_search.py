# Full-text search column of this app's table (see territories 0003). Databases migrated
# before this migration existed got it from territories 0003: the step is idempotent.
from django.db import migrations

from core.search import search_vector_operation


class Migration(migrations.Migration):
    dependencies = [("events", "0002_list_indexes"), ("territories", "0003_fulltext_search")]

    operations = [search_vector_operation("events_event", [("title", "A"), ("venue", "B"), ("date_label", "B"), ("description", "C")])]
