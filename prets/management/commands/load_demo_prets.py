"""Load the demonstration requests, loans and sales (after the other demos); does nothing if
already loaded."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from prets.demo import load_demo_prets


class Command(BaseCommand):
    help = "Charge les demandes, prêts et ventes de démonstration (après load_demo_ateliers)."

    def handle(self, *args, **options):
        try:
            summary = load_demo_prets()
        except LookupError:
            raise CommandError(
                _(
                    "Chargez d'abord les autres données de démonstration : load_demo, "
                    "load_demo_ateliers et load_demo_rapports."
                )
            ) from None
        if summary is None:
            self.stdout.write(
                _("Les prêts de démonstration sont déjà chargés : rien n'a été modifié.")
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Prêts de démonstration chargés : %(requests)d demandes, %(loans)d prêts, "
                    "%(sales)d ventes, %(follow_ups)d suivis."
                )
                % summary
            )
        )
