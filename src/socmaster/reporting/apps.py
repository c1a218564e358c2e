from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "socmaster.reporting"
    label = "reporting"

    def ready(self) -> None:
        from . import registry

        registry.register()
