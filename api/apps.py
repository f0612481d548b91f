from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API"

    def ready(self):
        from . import origin
        from .webhooks import hooks

        origin.connect()
        hooks.connect()
