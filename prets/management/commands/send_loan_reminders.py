"""Send the loan reminders due today, each once. Schedule it daily (Celery beat entry
``prets-send-loan-reminders`` in settings, or cron: ``manage.py send_loan_reminders``)."""

import datetime as dt

from django.core.management.base import BaseCommand

from prets.services import send_due_reminders


class Command(BaseCommand):
    help = "Envoie les rappels de prêt (avant l'échéance et en retard), chacun une seule fois."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Date du jour simulée (AAAA-MM-JJ), pour les essais.")

    def handle(self, *args, date=None, **options):
        today = dt.date.fromisoformat(date) if date else None
        counts = send_due_reminders(today=today)
        self.stdout.write(
            f"{counts['reminders']} rappel(s), {counts['emails']} courriel(s) envoyé(s)."
        )
