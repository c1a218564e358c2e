from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "socmaster.web"
    label = "web"
