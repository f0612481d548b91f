"""Personal data move to acteurs (acteurs.personal_data): the HouseholdAnonymisation model
leaves prets' state here, its table is taken over (and renamed) by acteurs' migration 0004;
the return inspection gets its own note (kept with the loan, never in the device's history)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("prets", "0003_event_kernel"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="HouseholdAnonymisation")],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="returninspection",
            name="note",
            field=models.CharField(blank=True, max_length=300, verbose_name="note de retour"),
        ),
    ]
