from django.apps import AppConfig
from django.core import checks


class PlansConfig(AppConfig):
    name = "socmaster.plans"
    label = "plans"
    verbose_name = "4P plans"

    def ready(self) -> None:
        from . import registry
        from .quality import register_exception_checks

        register_exception_checks()
        registry.register()
        checks.register(check_plan_settings)


def check_plan_settings(app_configs=None, **kwargs):
    """The SOCMASTER_PLAN_* settings must make sense, or every new plan would be refused."""
    from django.conf import settings

    from .services import MAX_REVIEW_DAYS, MIN_REVIEW_DAYS

    values = settings.SOCMASTER
    rules = [
        (
            "PLAN_REVIEW_DAYS",
            MIN_REVIEW_DAYS <= values["PLAN_REVIEW_DAYS"] <= MAX_REVIEW_DAYS,
            f"between {MIN_REVIEW_DAYS} and {MAX_REVIEW_DAYS}",
        ),
        ("PLAN_STALE_DAYS", values["PLAN_STALE_DAYS"] >= 1, "at least 1"),
        ("PLAN_COPY_SIMILARITY", 0 < values["PLAN_COPY_SIMILARITY"] <= 1, "above 0 and at most 1"),
        ("PLAN_COPY_MIN_WORDS", values["PLAN_COPY_MIN_WORDS"] >= 3, "at least 3"),
    ]
    return [
        checks.Error(
            f"SOCMASTER_{name} is {values[name]}; it must be {rule}.", id=f"socmaster.plans.E{n}"
        )
        for n, (name, ok, rule) in enumerate(rules, 1)
        if not ok
    ]
