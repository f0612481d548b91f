"""Create an API token for a user from the shell (scripts, CI's fuzzing); prints it once."""

from django.core.management.base import BaseCommand, CommandError

from acteurs.models import Organisation, User
from core.errors import ApplicationError

from ...models import Scope
from ...tokens import token_create


class Command(BaseCommand):
    help = "Crée un jeton d'API pour un compte et l'affiche (une seule fois)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--scope", choices=Scope.values, default=Scope.READ)
        parser.add_argument("--name", default="jeton en ligne de commande")
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--organisation", type=int, help="id de l'atelier (jeton d'agent)")

    def handle(self, username, scope, name, days, organisation, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Compte inconnu : {username}")
        org = Organisation.objects.filter(pk=organisation).first() if organisation else None
        try:
            _token, clear = token_create(user, name=name, scope=scope, days=days, organisation=org)
        except ApplicationError as refusal:
            raise CommandError(refusal.message) from None
        self.stdout.write(clear)
