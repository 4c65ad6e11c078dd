# The title's vector stored, for the title matches that search ranks first
# (core.search.title_vector_operation).

from django.db import migrations

from core.search import title_vector_operation


class Migration(migrations.Migration):
    dependencies = [("events", "0007_event_year_inferred")]

    operations = [title_vector_operation("events_event", "title")]
