"""Drop three single-column indexes that composite indexes already lead: device.owner
(device_owner_id…), device.location (device_location_id) and deviceevent.device
(event_device_id). Every write of a device or an event updated them for nothing; at
10,000,000 devices they were also a fifth of the time of rebuilding the indexes.

Only the indexes go: Django's AlterField would also drop and re-add the foreign keys, whose
re-validation scans the event table while holding locks on both tables.
"""

import django.db.models.deletion
from django.db import migrations, models


INDEXES = [
    ("parc_device_owner_id_7500df23", "parc_device", "owner_id"),
    ("parc_device_location_id_efa1b393", "parc_device", "location_id"),
    ("parc_deviceevent_device_id_4952f6e4", "parc_deviceevent", "device_id"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("acteurs", "0008_coordinated_territories"),
        ("parc", "0019_work_time_and_parts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="device",
                    name="location",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="devices",
                        to="parc.stocklocation",
                        verbose_name="emplacement",
                    ),
                ),
                migrations.AlterField(
                    model_name="device",
                    name="owner",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="devices",
                        to="acteurs.organisation",
                        verbose_name="organisation propriétaire",
                    ),
                ),
                migrations.AlterField(
                    model_name="deviceevent",
                    name="device",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="parc.device",
                        verbose_name="appareil",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {name}",
                    reverse_sql=f"CREATE INDEX {name} ON {table} ({column})",
                )
                for name, table, column in INDEXES
            ],
        ),
    ]
