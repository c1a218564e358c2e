from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "socmaster.assessments"
    label = "assessments"
    verbose_name = "MoRiLE assessments"

    def ready(self) -> None:
        from .checks import register_checks

        register_checks()
