"""Load the whole demonstration (Eure-et-Loir) through the services; does nothing if it is
already loaded. ``--list-accounts`` prints the demo accounts only (``make run``)."""

import time

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from demo.builder import load_demo
from demo.world import DEMO_ACCOUNTS, DEMO_PASSWORD
from parc.models import State


class Command(BaseCommand):
    help = "Charge les données de démonstration (Eure-et-Loir), une seule fois."

    def add_arguments(self, parser):
        parser.add_argument(
            "--list-accounts",
            action="store_true",
            help=_("Affiche seulement les comptes de démonstration."),
        )

    def handle(self, *args, list_accounts=False, **options):
        if list_accounts:
            self.write_accounts()
            return
        started = time.monotonic()
        summary = load_demo()
        if summary is None:
            self.stdout.write(
                _("Les données de démonstration sont déjà chargées : rien n'a été modifié.")
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Données de démonstration chargées en %(seconds).1f s : %(donations)d dons, "
                    "%(devices)d appareils, %(households)d foyers, %(requests)d demandes, "
                    "%(loans)d prêts, %(sales)d ventes, %(sessions)d ateliers, "
                    "%(repairs)d réparations."
                )
                % {**summary, "seconds": time.monotonic() - started}
            )
        )
        by_state = summary["by_state"]
        self.stdout.write(
            "  " + ", ".join(f"{state.label} : {by_state.get(state, 0)}" for state in State)
        )
        self.stdout.write(
            _("Comptes de démonstration (mot de passe : %(password)s) :")
            % {"password": DEMO_PASSWORD}
        )
        self.write_accounts()

    def write_accounts(self):
        for username, role, organisation in DEMO_ACCOUNTS:
            self.stdout.write(f"    {username:<14}{role!s:<16}{organisation}")
