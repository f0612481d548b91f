"""Load the demonstration reports (after load_demo); does nothing if already loaded."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from rapports.demo import DEMO_ACCOUNTS, load_demo_rapports


class Command(BaseCommand):
    help = "Charge les financements et le gisement de démonstration (après load_demo)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--list-accounts",
            action="store_true",
            help=_("Affiche seulement les comptes de démonstration des financeurs."),
        )

    def handle(self, *args, list_accounts=False, **options):
        if list_accounts:
            for username, role, organisation in DEMO_ACCOUNTS:
                self.stdout.write(f"    {username:<14}{role!s:<16}{organisation}")
            return
        try:
            summary = load_demo_rapports()
        except LookupError:
            raise CommandError(
                _("Chargez d'abord les données de démonstration du parc : manage.py load_demo.")
            ) from None
        if summary is None:
            self.stdout.write(
                _("Les rapports de démonstration sont déjà chargés : rien n'a été modifié.")
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Rapports de démonstration chargés : %(devices)d appareils dans "
                    "%(donations)d dons d'un gisement, %(fundings)d financements."
                )
                % summary
            )
        )
