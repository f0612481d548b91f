"""ImportJob on the kernel's background-job base (core.jobs.BackgroundJob): the workflow moves
to ``stage`` (mapping, preview, import) and ``status`` takes the kernel's job states; the
progress of a step is ``total``/``done`` (``processed_rows`` is copied into ``done``). Also:
the header line chosen or found, the mapping remembered per donor, reading notes per row."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import F

# Old status -> (stage, status); "done" first: other rows become status "done" on the way.
OLD_STATUSES = [
    ("done", "import", "done"),
    ("mapping", "mapping", "done"),
    ("analysing", "preview", "running"),
    ("previewed", "preview", "done"),
    ("importing", "import", "running"),
    ("failed", "preview", "failed"),
]


def to_stage_and_status(apps, schema_editor):
    ImportJob = apps.get_model("intake", "ImportJob")
    for old, stage, status in OLD_STATUSES:
        ImportJob.objects.filter(status=old, total=0, done=0, attempts=0).update(
            stage=stage, status=status, done=F("processed_rows"), total=F("total_rows"),
            attempts=1,
        )
    ImportJob.objects.update(attempts=0)


def to_old_status(apps, schema_editor):
    ImportJob = apps.get_model("intake", "ImportJob")
    for old, stage, status in reversed(OLD_STATUSES):
        ImportJob.objects.filter(stage=stage, status=status).update(
            status=old, processed_rows=F("done")
        )


class Migration(migrations.Migration):

    dependencies = [
        ('acteurs', '0002_households'),
        ('intake', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='importjob',
            name='attempts',
            field=models.PositiveSmallIntegerField(default=0, verbose_name='tentatives'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='done',
            field=models.PositiveIntegerField(default=0, verbose_name='fait'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='finished_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='terminé le'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='header_certain',
            field=models.BooleanField(default=True, verbose_name='en-têtes reconnus avec certitude'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='header_line',
            field=models.PositiveIntegerField(default=1, verbose_name='ligne des en-têtes'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='heartbeat_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='dernier signe de vie'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='imported_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='importé par'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='mapping_remembered',
            field=models.BooleanField(default=False, verbose_name="correspondance reprise d'un fichier précédent"),
        ),
        migrations.AddField(
            model_name='importjob',
            name='sheet_facts',
            field=models.JSONField(blank=True, default=dict, verbose_name='contenu de la feuille'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='stage',
            field=models.CharField(choices=[('mapping', 'colonnes à préciser'), ('preview', 'aperçu'), ('import', 'import')], default='mapping', max_length=10, verbose_name='étape'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='started_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='commencé le'),
        ),
        migrations.AddField(
            model_name='importjob',
            name='total',
            field=models.PositiveIntegerField(default=0, verbose_name='à faire'),
        ),
        migrations.AddField(
            model_name='importrow',
            name='notes',
            field=models.TextField(blank=True, verbose_name='remarques de lecture'),
        ),
        migrations.AlterField(
            model_name='importjob',
            name='created_at',
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name='demandé le'),
        ),
        migrations.AlterField(
            model_name='importjob',
            name='status',
            field=models.CharField(choices=[('pending', 'en attente'), ('running', 'en cours'), ('done', 'terminé'), ('failed', 'échec')], default='pending', max_length=10, verbose_name='état'),
        ),
        migrations.RunPython(to_stage_and_status, to_old_status),
        migrations.RemoveField(
            model_name='importjob',
            name='processed_rows',
        ),
        migrations.AlterField(
            model_name='importrow',
            name='messages',
            field=models.TextField(blank=True, verbose_name='erreurs'),
        ),
        migrations.CreateModel(
            name='SavedMapping',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('columns', models.JSONField(default=dict, verbose_name='colonnes')),
                ('default_kind', models.CharField(blank=True, choices=[('laptop', 'ordinateur portable'), ('desktop', 'ordinateur fixe'), ('screen', 'écran'), ('tablet', 'tablette'), ('smartphone', 'smartphone'), ('printer', 'imprimante'), ('other', 'autre')], max_length=20, verbose_name='type par défaut')),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='modifiée le')),
                ('donor', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='acteurs.organisation', verbose_name='donateur')),
                ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='acteurs.organisation', verbose_name='organisation')),
                ('updated_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='par')),
            ],
            options={
                'verbose_name': "correspondance de colonnes d'un donateur",
                'verbose_name_plural': 'correspondances de colonnes des donateurs',
                'constraints': [models.UniqueConstraint(fields=('organisation', 'donor'), name='savedmapping_once_per_donor')],
            },
        ),
    ]
