"""A device's public code is unique through one index, not two.

``unique=True`` on a CharField gives PostgreSQL the unique constraint's index and a second
one with the ``varchar_pattern_ops`` class for ``LIKE 'ABC%'``; no query looks a code up by
prefix (the scan, the device page, the API and the list's search all look up the whole code),
so that second index was written at every registration for nothing (about 300 MB and 20 s of
a rebuild at 10,000,000 devices). The model now declares a ``UniqueConstraint`` of the same
name as the constraint the column already has: on PostgreSQL only the pattern index goes;
SQLite keeps its table as it is (its column constraint is the same rule).
"""

from django.db import migrations, models


def drop_pattern_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = 'parc_device'::regclass
              AND c.relname LIKE 'parc_device_public_code_%_like'
            """
        )
        names = [row[0] for row in cursor.fetchall()]
    for name in names:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def create_pattern_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS parc_device_public_code_8fdab728_like "
            "ON parc_device (public_code varchar_pattern_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("parc", "0022_event_at_action"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="device",
                    name="public_code",
                    field=models.CharField(editable=False, max_length=12, verbose_name="code"),
                ),
                migrations.AddConstraint(
                    model_name="device",
                    constraint=models.UniqueConstraint(
                        fields=("public_code",), name="parc_device_public_code_key"
                    ),
                ),
            ],
            database_operations=[
                migrations.RunPython(drop_pattern_index, create_pattern_index),
            ],
        ),
    ]
