"""ImportJob and ImportRow, moved from ``parc`` (parc/migrations/0009_import_models_to_intake.py).

State only: the tables ``parc_importjob`` and ``parc_importrow`` (created by parc 0005) keep
their names, columns, indexes and rows. Their content types follow them, so permissions given
on them and admin log entries stay attached.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MODELS = ("importjob", "importrow")


def content_types_to(app_label: str, from_label: str):
    def move(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        db = schema_editor.connection.alias
        for model in MODELS:
            if not ContentType.objects.using(db).filter(app_label=app_label, model=model).exists():
                ContentType.objects.using(db).filter(app_label=from_label, model=model).update(
                    app_label=app_label
                )

    return move


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("acteurs", "0002_households"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("dons", "0002_french_constraint_messages"),
        ("parc", "0009_import_models_to_intake"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ImportJob",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("file", models.FileField(upload_to="intake/%Y/%m/", verbose_name="fichier")),
                        ("original_name", models.CharField(max_length=255, verbose_name="nom du fichier")),
                        ("file_format", models.CharField(max_length=10, verbose_name="format")),
                        ("encoding", models.CharField(blank=True, max_length=20, verbose_name="encodage")),
                        ("delimiter", models.CharField(blank=True, max_length=1, verbose_name="séparateur")),
                        ("headers", models.JSONField(default=list, verbose_name="en-têtes")),
                        ("mapping", models.JSONField(default=dict, verbose_name="correspondance des colonnes")),
                        ("default_kind", models.CharField(blank=True, choices=[("laptop", "ordinateur portable"), ("desktop", "ordinateur fixe"), ("screen", "écran"), ("tablet", "tablette"), ("smartphone", "smartphone"), ("printer", "imprimante"), ("other", "autre")], max_length=20, verbose_name="type par défaut")),
                        ("status", models.CharField(choices=[("mapping", "colonnes à préciser"), ("analysing", "analyse en cours"), ("previewed", "aperçu prêt"), ("importing", "import en cours"), ("done", "importé"), ("failed", "échec")], default="mapping", max_length=10, verbose_name="état")),
                        ("total_rows", models.PositiveIntegerField(default=0, verbose_name="lignes")),
                        ("processed_rows", models.PositiveIntegerField(default=0, verbose_name="lignes traitées")),
                        ("counts", models.JSONField(default=dict, verbose_name="bilan")),
                        ("created_count", models.PositiveIntegerField(default=0, verbose_name="appareils créés")),
                        ("error", models.TextField(blank=True, verbose_name="erreur")),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="déposé le")),
                        ("analysed_at", models.DateTimeField(blank=True, null=True, verbose_name="analysé le")),
                        ("imported_at", models.DateTimeField(blank=True, null=True, verbose_name="importé le")),
                        ("created_by", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="par")),
                        ("donation", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="import_jobs", to="dons.donation", verbose_name="don")),
                        ("organisation", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="acteurs.organisation", verbose_name="organisation")),
                    ],
                    options={
                        "verbose_name": "import de liste d'inventaire",
                        "verbose_name_plural": "imports de listes d'inventaire",
                        "db_table": "parc_importjob",
                        "ordering": ["-id"],
                        "indexes": [
                            models.Index(fields=["donation", "-id"], name="importjob_donation_id"),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="ImportRow",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("line", models.PositiveIntegerField(verbose_name="ligne")),
                        ("outcome", models.CharField(choices=[("new", "à créer"), ("existing", "déjà enregistré dans ce don (inchangé)"), ("error", "erreur"), ("created", "créé")], max_length=10, verbose_name="résultat")),
                        ("data", models.JSONField(default=dict, verbose_name="valeurs lues")),
                        ("cells", models.JSONField(default=list, verbose_name="cellules d'origine")),
                        ("messages", models.TextField(blank=True, verbose_name="messages")),
                        ("match_key", models.CharField(blank=True, max_length=100, verbose_name="clé de rapprochement")),
                        ("public_code", models.CharField(blank=True, max_length=12, verbose_name="code prévu")),
                        ("job", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="rows", to="intake.importjob", verbose_name="import")),
                    ],
                    options={
                        "verbose_name": "ligne importée",
                        "verbose_name_plural": "lignes importées",
                        "db_table": "parc_importrow",
                        "ordering": ["job", "line"],
                        "indexes": [
                            models.Index(fields=["job", "match_key"], name="importrow_job_key"),
                            models.Index(fields=["job", "outcome", "line"], name="importrow_job_outcome"),
                        ],
                        "constraints": [
                            models.UniqueConstraint(fields=("job", "line"), name="importrow_unique_line"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(
            content_types_to("intake", "parc"), content_types_to("parc", "intake"), elidable=True
        ),
    ]
