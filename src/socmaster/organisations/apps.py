from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "socmaster.organisations"
    label = "organisations"

    def ready(self) -> None:
        from . import registry

        registry.register()
