"""Expire the requests left without follow-up longer than PRETS_REQUEST_EXPIRY_DAYS."""

from django.core.management.base import BaseCommand

from prets.services import expire_stale_requests


class Command(BaseCommand):
    help = "Passe en « expirée » les demandes restées sans suite trop longtemps."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="Délai en jours (par défaut : réglage).")

    def handle(self, *args, days=None, **options):
        count = expire_stale_requests(days=days)
        self.stdout.write(f"{count} demande(s) expirée(s).")
