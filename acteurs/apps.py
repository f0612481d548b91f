from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActeursConfig(AppConfig):
    name = "acteurs"
    verbose_name = _("Acteurs et territoires")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from . import personal_data
        from .auth_views import on_user_logged_in

        user_logged_in.connect(on_user_logged_in, dispatch_uid="filiere_session_start")
        # The household's own fields; the apps above register theirs in their ready().
        personal_data.register(personal_data.HOUSEHOLDS)
