from django.apps import AppConfig


class LinkageConfig(AppConfig):
    name = "socmaster.linkage"
    label = "linkage"
    verbose_name = "Entity resolution"

    def ready(self) -> None:
        from . import registry

        registry.register()
