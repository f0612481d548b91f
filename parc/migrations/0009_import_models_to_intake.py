"""ImportJob and ImportRow move to the ``intake`` app (intake/migrations/0001_initial.py).

State only: the tables stay where they are, under their names (the models set ``db_table``),
rows included.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("parc", "0008_gisement_report_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ImportRow"),
                migrations.DeleteModel(name="ImportJob"),
            ],
            database_operations=[],
        ),
    ]
