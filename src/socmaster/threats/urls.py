from django.urls import path

from . import views

app_name = "threats"
urlpatterns = [
    path("", views.threat_list, name="list"),
    path("new/", views.threat_create, name="create"),
    path("<str:reference>/", views.threat_detail, name="detail"),
    path("<str:reference>/edit/", views.threat_edit, name="edit"),
    path("<str:reference>/delete/", views.threat_delete, name="delete"),
]
