from django.urls import path

from socmaster.core import converters  # noqa: F401  (registers the "ref" converter)

from . import views

app_name = "disruptions"
urlpatterns = [
    path("", views.disruption_list, name="list"),
    path("queue/", views.moderation_queue, name="queue"),
    path("report/", views.report, name="report"),
    path("report.<str:fmt>", views.report_export, name="report-export"),
    path("extract/", views.extract, name="extract"),
    path("extract.csv", views.extract_csv, name="extract-csv"),
    path("recording-audit/", views.recording_audit, name="recording-audit"),
    path(
        "recording-audit.<str:fmt>",
        views.recording_audit_export,
        name="recording-audit-export",
    ),
    path("new/<ref:reference>/", views.disruption_create, name="create"),
    path("<ref:reference>/", views.disruption_detail, name="detail"),
    path("<ref:reference>/edit/", views.disruption_edit, name="edit"),
    path("<ref:reference>/<str:action>/", views.disruption_transition, name="transition"),
]
