from django.db import migrations, models

# The places already there take their actor's visibility and name (portable SQL: PostgreSQL
# and SQLite); later ones get them from actors.derived.refresh_actor_places.
FILL = """
UPDATE actors_actorplace SET
    public = EXISTS (
        SELECT 1 FROM actors_actor a
        WHERE a.id = actors_actorplace.actor_id AND a.status = 'published' AND NOT a.hidden
    ),
    name = COALESCE(
        (SELECT a.name FROM actors_actor a WHERE a.id = actors_actorplace.actor_id), ''
    )
"""


class Migration(migrations.Migration):
    dependencies = [
        ("actors", "0011_import_run"),
        ("territories", "0010_collectivite_slug_not_subventions"),
    ]

    operations = [
        migrations.AddField(
            model_name="actorplace",
            name="name",
            field=models.CharField(default="", max_length=300, verbose_name="nom"),
        ),
        migrations.AddField(
            model_name="actorplace",
            name="public",
            field=models.BooleanField(default=False, verbose_name="visible du public"),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="actorplace",
            index=models.Index(
                condition=models.Q(("public", True)),
                fields=["territory", "name", "actor"],
                name="actor_place_public_name",
            ),
        ),
    ]
