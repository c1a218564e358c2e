from django.apps import AppConfig


class ThreatsConfig(AppConfig):
    name = "socmaster.threats"
    label = "threats"
