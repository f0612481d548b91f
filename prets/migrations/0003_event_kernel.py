"""Requests and loans on the kernel: their histories become core.events.Event tables (notes
as text, the loan's events with their states, the request's with details), each protected by
the kernel's append-only trigger; loans get the date of their last change of state.

Existing rows are completed before the triggers exist: a loan's state date is its closing
event's (or its creation's), a loan event of a transition gets its two states."""

import django.utils.timezone
from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce

import core.events

LOAN_TRANSITIONS = {
    "take_back": ("open", "returned"),
    "transfer": ("open", "transferred"),
    "declare_lost": ("open", "lost"),
}


def complete_existing_rows(apps, schema_editor):
    Loan = apps.get_model("prets", "Loan")
    LoanEvent = apps.get_model("prets", "LoanEvent")
    closing = LoanEvent.objects.filter(loan=OuterRef("pk"), action__in=list(LOAN_TRANSITIONS))
    Loan.objects.update(
        state_changed_at=Coalesce(
            Subquery(closing.order_by("-id").values("at")[:1]), F("created_at")
        )
    )
    for action, (source, target) in LOAN_TRANSITIONS.items():
        LoanEvent.objects.filter(action=action).update(source_state=source, target_state=target)
    LoanEvent.objects.filter(action="start").update(target_state="open")


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_redaction_log'),
        ('prets', '0002_criteria_and_device_pick_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='loan',
            name='state_changed_at',
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name='état depuis le'),
        ),
        migrations.AddField(
            model_name='loanevent',
            name='source_state',
            field=models.CharField(blank=True, max_length=20, verbose_name='état de départ'),
        ),
        migrations.AddField(
            model_name='loanevent',
            name='target_state',
            field=models.CharField(blank=True, max_length=20, verbose_name="état d'arrivée"),
        ),
        migrations.AddField(
            model_name='requestevent',
            name='data',
            field=models.JSONField(blank=True, default=dict, verbose_name='détails'),
        ),
        migrations.AlterField(
            model_name='loanevent',
            name='action',
            field=models.CharField(max_length=40, verbose_name='action'),
        ),
        migrations.AlterField(
            model_name='loanevent',
            name='note',
            field=models.TextField(blank=True, verbose_name='note'),
        ),
        migrations.AlterField(
            model_name='requestevent',
            name='action',
            field=models.CharField(max_length=40, verbose_name='action'),
        ),
        migrations.AlterField(
            model_name='requestevent',
            name='note',
            field=models.TextField(blank=True, verbose_name='note'),
        ),
        migrations.AlterField(
            model_name='requestevent',
            name='target_state',
            field=models.CharField(blank=True, max_length=20, verbose_name="état d'arrivée"),
        ),
        migrations.RunPython(complete_existing_rows, migrations.RunPython.noop),
        core.events.AppendOnlyTrigger("prets", "requestevent"),
        core.events.AppendOnlyTrigger("prets", "loanevent"),
    ]
