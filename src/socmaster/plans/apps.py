from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "socmaster.plans"
    label = "plans"
    verbose_name = "4P plans"

    def ready(self) -> None:
        from .quality import register_exception_checks

        register_exception_checks()
