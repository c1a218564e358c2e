from django.urls import path

from . import views

app_name = "network"

urlpatterns = [
    path("", views.index, name="index"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/<str:name>.csv", views.run_file, name="run-file"),
    path("upload/", views.upload, name="upload"),
    path("path/", views.path, name="path"),
    path("threats/<ref:reference>/panel/", views.threat_panel, name="threat-panel"),
    path("threats/<ref:reference>/add-member/", views.add_member, name="add-member"),
    path("nominals/<ref:reference>/associates/new/", views.association_add, name="associate"),
    path("chart/<str:kind>/<ref:reference>/", views.chart_page, name="chart"),
    path("chart/<str:kind>/<ref:reference>/data.json", views.chart_data, name="chart-data"),
    path("chart/<str:kind>/<ref:reference>/export/", views.chart_export, name="chart-export"),
]
