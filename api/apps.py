from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API"

    def ready(self):
        from parc.extensions import register_device_page_link

        from . import origin, pages
        from .webhooks import hooks

        origin.connect()
        hooks.connect()
        register_device_page_link(pages.bundle_upload_link)
