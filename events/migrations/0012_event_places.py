# Where each event takes place (EventPlace), filled from the events already there; later
# writes keep it (events.derived.refresh_event_places). The statement is the refresh's,
# written out: a migration does not follow the code's later changes.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('events', '0011_event_public_past_order'),
        ('territories', '0014_scheme_places'),
    ]

    operations = [
        migrations.CreateModel(
            name='EventPlace',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('start_date', models.DateField(blank=True, null=True, verbose_name='date de début')),
                ('start_time', models.TimeField(blank=True, null=True, verbose_name='heure de début')),
                ('event', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='places', to='events.event')),
                ('territory', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='territories.territory')),
            ],
            options={
                'verbose_name': "lieu d'un événement",
                'verbose_name_plural': 'lieux des événements',
                'indexes': [models.Index(fields=['territory', 'start_date', 'start_time', 'event'], name='event_place_agenda')],
                'constraints': [models.UniqueConstraint(fields=('event', 'territory'), name='event_place_unique')],
            },
        ),
        migrations.RunSQL(
            "INSERT INTO events_eventplace (event_id, territory_id, start_date, start_time) "
            "SELECT e.id, i.container_id, e.start_date, e.start_time FROM events_event e "
            "JOIN territories_territoryinclusion i ON i.member_id = e.territory_id",
            migrations.RunSQL.noop,
        ),
    ]
