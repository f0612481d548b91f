"""Load the demonstration workshops (after load_demo); does nothing if already loaded."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ateliers.demo import load_demo_ateliers


class Command(BaseCommand):
    help = "Charge les ateliers de démonstration (après load_demo), une seule fois."

    def handle(self, *args, **options):
        try:
            summary = load_demo_ateliers()
        except LookupError:
            raise CommandError(
                _("Chargez d'abord les données de démonstration du parc : manage.py load_demo.")
            ) from None
        if summary is None:
            self.stdout.write(
                _("Les ateliers de démonstration sont déjà chargés : rien n'a été modifié.")
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Ateliers de démonstration chargés : %(households)d foyers, %(sessions)d "
                    "séances, %(enrolments)d inscriptions, %(assessments)d évaluations, "
                    "%(repairs)d réparations (%(kg)s kg CO2e évités)."
                )
                % {**summary, "kg": f"{summary['averted_kg']:.1f}".replace(".", ",")}
            )
        )
