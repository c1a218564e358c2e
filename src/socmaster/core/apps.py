from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "socmaster.core"
    label = "core"
    verbose_name = "Core: access policy and audit"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects log-in auditing)
