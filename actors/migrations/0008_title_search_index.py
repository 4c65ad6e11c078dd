# The title's own full-text index, for the title matches that search ranks first
# (core.search.candidate_keys).

from django.db import migrations

from core.search import title_index_operation


class Migration(migrations.Migration):
    dependencies = [("actors", "0007_places_and_panoramas")]

    operations = [
        title_index_operation("actors_actor", "name"),
    ]
