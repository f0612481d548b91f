"""The device event log on the kernel (core.events.Event): its own append-only trigger of
migration 0002 gives way to the kernel's (``AppendOnlyTrigger``), the same on every event
table, which lets the audited redaction through (core_redaction) and nothing else."""

from django.db import migrations, models

import core.events

SQLITE_OLD_TRIGGER = """
CREATE TRIGGER parc_deviceevent_no_update BEFORE UPDATE ON parc_deviceevent
BEGIN
    SELECT RAISE(ABORT, 'parc_deviceevent is append-only');
END;
"""
POSTGRES_OLD_TRIGGER = """
CREATE OR REPLACE FUNCTION parc_deviceevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'parc_deviceevent is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER parc_deviceevent_no_update BEFORE UPDATE OR DELETE ON parc_deviceevent
    FOR EACH ROW EXECUTE FUNCTION parc_deviceevent_refuse_change();
"""


def drop_old_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS parc_deviceevent_no_update ON parc_deviceevent;"
        )
        schema_editor.execute("DROP FUNCTION IF EXISTS parc_deviceevent_refuse_change();")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS parc_deviceevent_no_update;")


def restore_old_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_OLD_TRIGGER)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_OLD_TRIGGER)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_redaction_log"),
        ("parc", "0010_evidence_files"),
    ]

    operations = [
        migrations.AlterField(
            model_name="deviceevent",
            name="target_state",
            field=models.CharField(blank=True, max_length=20, verbose_name="état d'arrivée"),
        ),
        migrations.RunPython(drop_old_trigger, restore_old_trigger),
        core.events.AppendOnlyTrigger("parc", "deviceevent"),
    ]
