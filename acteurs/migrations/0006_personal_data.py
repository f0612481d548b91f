"""Personal data in acteurs (acteurs.personal_data): the HouseholdAnonymisation model comes
from prets (its table, created by prets' 0001, is taken over as it is, then renamed); the
organisations' data-protection contacts for the information notice; the access log holds
list views (households shown) and is searched by household and purged by date."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("acteurs", "0005_saved_list_filters"),
        # prets' state lets the model go there first (its table stays).
        ("prets", "0004_household_anonymisation_to_acteurs"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="HouseholdAnonymisation",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "reason",
                            models.CharField(
                                choices=[
                                    ("retention", "délai de conservation écoulé"),
                                    ("request", "demande de la personne"),
                                ],
                                max_length=20,
                                verbose_name="motif",
                            ),
                        ),
                        (
                            "at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, verbose_name="le"
                            ),
                        ),
                        (
                            "by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                                verbose_name="par",
                            ),
                        ),
                        (
                            "household",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="anonymisation",
                                to="acteurs.household",
                                verbose_name="foyer",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "anonymisation",
                        "verbose_name_plural": "anonymisations",
                        "ordering": ["-id"],
                        "db_table": "prets_householdanonymisation",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="householdanonymisation", table=None),
        migrations.AddField(
            model_name="organisation",
            name="dpo_contact",
            field=models.CharField(
                blank=True,
                help_text="Nom ou service et courriel du DPO (obligatoire pour un organisme public).",
                max_length=300,
                verbose_name="délégué à la protection des données",
            ),
        ),
        migrations.AddField(
            model_name="organisation",
            name="privacy_email",
            field=models.EmailField(
                blank=True,
                help_text="Où un foyer écrit pour consulter, corriger ou effacer ses données.",
                max_length=254,
                verbose_name="courriel pour les données personnelles",
            ),
        ),
        migrations.AddField(
            model_name="personaldataaccess",
            name="households_shown",
            field=models.PositiveIntegerField(default=1, verbose_name="foyers affichés"),
        ),
        migrations.AddIndex(
            model_name="personaldataaccess",
            index=models.Index(fields=["household", "-accessed_at"], name="pd_access_household"),
        ),
        migrations.AddIndex(
            model_name="personaldataaccess",
            index=models.Index(fields=["accessed_at"], name="pd_access_at"),
        ),
    ]
