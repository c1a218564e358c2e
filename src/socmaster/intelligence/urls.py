from django.urls import path

from . import views

app_name = "intelligence"

urlpatterns = [
    path("", views.report_queue, name="queue"),
    path("new/", views.report_new, name="new"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("queue/<str:kind>/export.<str:fmt>", views.queue_export, name="queue-export"),
    path("sars/", views.sar_queue, name="sar-queue"),
    path("sars/<str:reference>/", views.sar_detail, name="sar"),
    path("sars/<str:reference>/consent/", views.sar_consent, name="sar-consent"),
    path("sars/<str:reference>/extend/", views.sar_extend, name="sar-extend"),
    path("sars/<str:reference>/move/", views.sar_move, name="sar-move"),
    path("<str:reference>/", views.report_detail, name="report"),
    path("<str:reference>/original/", views.report_original, name="original"),
    path("<str:reference>/grading/", views.report_edit, name="edit"),
    path("<str:reference>/sanitise/", views.report_sanitise, name="sanitise"),
    path("<str:reference>/disseminate/", views.report_disseminate, name="disseminate"),
    path("<str:reference>/move/", views.report_move, name="move"),
]
