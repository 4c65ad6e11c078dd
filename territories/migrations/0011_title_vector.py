# The titles' vectors stored, for the title matches that search ranks first
# (core.search.title_vector_operation).

from django.db import migrations

from core.search import title_vector_operation


class Migration(migrations.Migration):
    dependencies = [("territories", "0010_collectivite_slug_not_subventions")]

    operations = [
        title_vector_operation("territories_collectivite", "name"),
        title_vector_operation("territories_contact", "name"),
        title_vector_operation("territories_scheme", "name"),
    ]
