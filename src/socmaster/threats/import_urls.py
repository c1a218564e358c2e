from django.urls import path

from . import import_views

app_name = "threats_import"
urlpatterns = [
    path("", import_views.upload, name="upload"),
    path("<int:pk>/", import_views.status, name="status"),
    path("<int:pk>/cancel/", import_views.cancel, name="cancel"),
    path("<int:pk>/rejects.csv", import_views.rejects, name="rejects"),
]
