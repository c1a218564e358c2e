from django.apps import AppConfig


class ThreatsConfig(AppConfig):
    name = "socmaster.threats"
    label = "threats"

    def ready(self) -> None:
        from . import registry

        registry.register()
