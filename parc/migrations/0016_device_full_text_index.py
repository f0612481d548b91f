"""Full-text search over the devices' search documents (parc/search.py), each database with
its own structure, both kept up to date by the database itself:

- PostgreSQL: a stored generated column ``search_vector`` (``to_tsvector('simple', …)``) and
  its GIN index. No extension is needed (accents are folded in Python), so a database user
  without superuser rights can run it. Adding the column rewrites the table once.
- SQLite: an FTS5 table ``parc_device_fts`` with the device table as its content, and three
  triggers; filled from the documents written by 0010.
"""

from django.db import migrations


def forward(apps, schema_editor):
    from parc.search import install_full_text

    install_full_text(schema_editor.connection)


def backward(apps, schema_editor):
    from parc.search import POSTGRES_BACKWARD, SQLITE_BACKWARD

    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD)
    elif vendor == "sqlite":
        for sql in SQLITE_BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("parc", "0015_device_search_document")]

    operations = [migrations.RunPython(forward, backward)]
