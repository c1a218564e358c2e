from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "socmaster.core"
    label = "core"
    verbose_name = "Core: access policy and audit"

    def ready(self) -> None:
        from . import checks, signals  # noqa: F401  (audit key check; log-in auditing)
        from .policy import can_view_audit
        from .registry import NavItem, register_nav_item

        register_nav_item(NavItem("audit", "Audit", "audit:list", 1100, visible=can_view_audit))
