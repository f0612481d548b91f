"""Load French départements, EPCI and communes (Etalab decoupage-administratif CSV files)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from acteurs.models import Commune
from acteurs.services import TERRITORIES_DIR, territories_load


class Command(BaseCommand):
    help = "Charge ou met à jour les départements, EPCI et communes depuis les fichiers CSV."

    def add_arguments(self, parser):
        parser.add_argument(
            "--departement",
            help=_("Ne charger que les communes de ce département (ex. 28)."),
        )
        parser.add_argument(
            "--path",
            default=str(TERRITORIES_DIR),
            help=_("Dossier contenant departements.csv, epci.csv et communes.csv."),
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help=_("Ne rien faire si des communes sont déjà chargées."),
        )

    def handle(self, *args, departement=None, path=None, if_empty=False, **options):
        if if_empty and Commune.objects.exists():
            self.stdout.write(_("Territoires déjà chargés : rien à faire."))
            return
        started = time.monotonic()
        try:
            counts = territories_load(path, departement=departement)
        except (OSError, ValueError, KeyError) as error:
            raise CommandError(_("Chargement impossible : %(error)s") % {"error": error}) from error
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Territoires chargés en %(seconds).1f s : %(departements)d départements "
                    "(%(departements_created)d nouveaux), %(epci)d EPCI "
                    "(%(epci_created)d nouveaux), %(communes)d communes "
                    "(%(communes_created)d nouvelles)."
                )
                % {**counts, "seconds": time.monotonic() - started}
            )
        )
