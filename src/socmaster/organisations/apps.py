from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "socmaster.organisations"
    label = "organisations"
