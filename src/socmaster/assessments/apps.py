from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "socmaster.assessments"
    label = "assessments"
    verbose_name = "MoRiLE assessments"

    def ready(self) -> None:
        from . import registry
        from .checks import register_checks

        register_checks()
        registry.register()
