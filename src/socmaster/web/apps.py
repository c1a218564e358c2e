from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "socmaster.web"
    label = "web"

    def ready(self) -> None:
        from . import registry

        registry.register()
