"""Anonymise the households without contact for HOUSEHOLD_RETENTION_DAYS (two years by
default) in every copy the apps declared (acteurs.personal_data), keeping sales records and
anonymous statistics; then each app's own purge (prets: the buyer's name of sales older than
PRETS_SALES_RETENTION_YEARS, ten years)."""

from django.core.management.base import BaseCommand

from acteurs import personal_data


class Command(BaseCommand):
    help = "Anonymise les foyers sans contact depuis le délai de conservation."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="Délai en jours (par défaut : réglage).")

    def handle(self, *args, days=None, **options):
        households = personal_data.anonymise_inactive_households(days=days)
        purged = {source.name: source.purge() for source in personal_data.sources() if source.purge}
        self.stdout.write(f"{households} foyer(s) anonymisé(s).")
        for name, count in purged.items():
            self.stdout.write(f"{name} : {count} enregistrement(s) purgé(s).")
