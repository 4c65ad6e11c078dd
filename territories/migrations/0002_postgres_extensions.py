from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    """PostgreSQL only (the operations do nothing on SQLite): accent-folded search."""

    dependencies = [("territories", "0001_initial")]

    operations = [UnaccentExtension(), TrigramExtension()]
