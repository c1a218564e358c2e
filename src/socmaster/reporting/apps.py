from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "socmaster.reporting"
    label = "reporting"
