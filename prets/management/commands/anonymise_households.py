"""Anonymise the households without contact for PRETS_ANONYMISE_AFTER_DAYS (two years by
default), keeping sales records and anonymous statistics; clear the buyer's name of sales
older than PRETS_SALES_RETENTION_YEARS (ten years)."""

from django.core.management.base import BaseCommand

from prets.services import anonymise_inactive_households, purge_old_buyer_names


class Command(BaseCommand):
    help = "Anonymise les foyers sans contact depuis le délai de conservation."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="Délai en jours (par défaut : réglage).")

    def handle(self, *args, days=None, **options):
        households = anonymise_inactive_households(days=days)
        sales = purge_old_buyer_names()
        self.stdout.write(
            f"{households} foyer(s) anonymisé(s), "
            f"{sales} vente(s) de plus de dix ans anonymisée(s)."
        )
