# The title's own full-text index, for the title matches that search ranks first
# (core.search.candidate_keys).

from django.db import migrations

from core.search import title_index_operation


class Migration(migrations.Migration):
    dependencies = [("territories", "0006_search_context")]

    operations = [
        title_index_operation("territories_collectivite", "name"),
        title_index_operation("territories_contact", "name"),
        title_index_operation("territories_scheme", "name"),
    ]
