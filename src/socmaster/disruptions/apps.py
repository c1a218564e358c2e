from django.apps import AppConfig


class DisruptionsConfig(AppConfig):
    name = "socmaster.disruptions"
    label = "disruptions"
    verbose_name = "Disruptions"

    def ready(self) -> None:
        from . import registry

        registry.register()
