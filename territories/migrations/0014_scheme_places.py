# Where each scheme can be reached (SchemePlace), filled from the schemes already there;
# later writes keep it (territories.derived.refresh_scheme_places). The statement is the
# refresh's, written out: a migration does not follow the code's later changes.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('territories', '0013_inclusion_member_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='SchemePlace',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('is_area', models.BooleanField(default=False, verbose_name='territoire du dispositif')),
                ('scheme', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='places', to='territories.scheme')),
                ('territory', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='territories.territory')),
            ],
            options={
                'verbose_name': "lieu d'un dispositif",
                'verbose_name_plural': 'lieux des dispositifs',
                'indexes': [models.Index(condition=models.Q(('is_area', True)), fields=['territory', 'scheme'], name='scheme_place_area')],
                'constraints': [models.UniqueConstraint(fields=('territory', 'scheme'), name='scheme_place_unique')],
            },
        ),
        migrations.RunSQL(
            "INSERT INTO territories_schemeplace (scheme_id, territory_id, is_area) "
            "SELECT s.id, i.container_id, "
            "i.container_id = COALESCE(s.territory_id, c.territory_id) "
            "FROM territories_scheme s "
            "JOIN territories_collectivite c ON c.id = s.collectivite_id "
            "JOIN territories_territoryinclusion i "
            "ON i.member_id = COALESCE(s.territory_id, c.territory_id)",
            migrations.RunSQL.noop,
        ),
    ]
