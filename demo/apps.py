from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demonstration data, built through every app's services (top floor)."""

    name = "demo"
    verbose_name = "Démonstration"
