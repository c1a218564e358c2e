from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "socmaster.gateway"
    label = "gateway"
    verbose_name = "ROCU gateway"

    def ready(self):
        from . import registry

        registry.register()
