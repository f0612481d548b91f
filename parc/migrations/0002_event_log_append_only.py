"""The device event log is append-only in the database itself, not only in Python: an UPDATE
of an event row is refused by a trigger, whoever sends it."""

from django.db import migrations

SQLITE_FORWARD = """
CREATE TRIGGER parc_deviceevent_no_update BEFORE UPDATE ON parc_deviceevent
BEGIN
    SELECT RAISE(ABORT, 'parc_deviceevent is append-only');
END;
"""
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS parc_deviceevent_no_update;"

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION parc_deviceevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'parc_deviceevent is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER parc_deviceevent_no_update BEFORE UPDATE OR DELETE ON parc_deviceevent
    FOR EACH ROW EXECUTE FUNCTION parc_deviceevent_refuse_change();
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS parc_deviceevent_no_update ON parc_deviceevent;
DROP FUNCTION IF EXISTS parc_deviceevent_refuse_change();
"""


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("parc", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
