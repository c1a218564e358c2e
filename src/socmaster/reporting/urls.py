from django.urls import path

from . import views

app_name = "reporting"
urlpatterns = [
    path("", views.index, name="index"),
    path("masterlist-extract/", views.masterlist_report, name="masterlist-extract"),
    path("masterlist-extract.csv", views.masterlist_csv, name="masterlist-extract-csv"),
    path("masterlist-extract/<slug:key>/", views.masterlist_drilldown, name="masterlist-drilldown"),
]
