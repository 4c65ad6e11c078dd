# The title's vector stored, for the title matches that search ranks first
# (core.search.title_vector_operation).

from django.db import migrations

from core.search import title_vector_operation


class Migration(migrations.Migration):
    dependencies = [("actors", "0013_public_updated_index")]

    operations = [title_vector_operation("actors_actor", "name")]
