"""Delete the records of who read a household's data once older than
ACCESS_LOG_RETENTION_DAYS (one year)."""

from django.core.management.base import BaseCommand

from acteurs.access_log import purge_old_accesses


class Command(BaseCommand):
    help = "Supprime les traces d'accès aux données personnelles de plus d'un an."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="Délai en jours (par défaut : réglage).")

    def handle(self, *args, days=None, **options):
        deleted = purge_old_accesses(days=days)
        self.stdout.write(f"{deleted} trace(s) d'accès supprimée(s).")
