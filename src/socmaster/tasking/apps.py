from django.apps import AppConfig


class TaskingConfig(AppConfig):
    name = "socmaster.tasking"
    label = "tasking"
    verbose_name = "Tasking, co-ordination and debriefs"

    def ready(self) -> None:
        from . import registry

        registry.register()
