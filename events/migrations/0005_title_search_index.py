# The title's own full-text index, for the title matches that search ranks first
# (core.search.candidate_keys).

from django.db import migrations

from core.search import title_index_operation


class Migration(migrations.Migration):
    dependencies = [("events", "0004_search_context")]

    operations = [
        title_index_operation("events_event", "title"),
    ]
