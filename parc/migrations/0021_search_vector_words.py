"""The PostgreSQL search vector made of the document's own words (``parc.search``): the
generated column and its GIN index are rewritten once, if they still hold the parsed vector
of 0016 (``install_full_text``). SQLite is left as it is.

At 10,000,000 devices the rewrite takes several minutes with the table locked: at that size,
run it at a quiet hour.
"""

from django.db import migrations

PARSED_VECTOR = """
DROP INDEX IF EXISTS device_search_vector;
ALTER TABLE parc_device DROP COLUMN IF EXISTS search_vector;
ALTER TABLE parc_device ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_document)) STORED;
CREATE INDEX device_search_vector ON parc_device USING gin (search_vector);
"""


def forward(apps, schema_editor):
    from parc.search import install_full_text

    install_full_text(schema_editor.connection)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PARSED_VECTOR)


class Migration(migrations.Migration):
    dependencies = [("parc", "0020_drop_indexes_led_by_composites")]

    operations = [migrations.RunPython(forward, backward)]
