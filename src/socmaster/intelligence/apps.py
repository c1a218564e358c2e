from django.apps import AppConfig


class IntelligenceConfig(AppConfig):
    name = "socmaster.intelligence"
    label = "intelligence"
    verbose_name = "Intelligence and SARs"

    def ready(self) -> None:
        from . import registry

        registry.register()
