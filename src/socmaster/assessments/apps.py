from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "socmaster.assessments"
    label = "assessments"
