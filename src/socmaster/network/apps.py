from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "socmaster.network"
    label = "network"
    verbose_name = "Network analysis"

    def ready(self) -> None:
        from . import registry

        registry.register()
