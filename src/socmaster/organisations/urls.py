from django.urls import path

from . import views

app_name = "organisations"
urlpatterns = [
    path("organisations/", views.directory, name="directory"),
    path("organisations/<slug:key>/", views.organisation_detail, name="detail"),
    path("people/", views.people, name="people"),
    path("people/new/", views.user_create, name="user_create"),
    path("people/<str:username>/", views.user_detail, name="user"),
    path("people/<str:username>/active/", views.user_set_active, name="user_active"),
    path("people/<str:username>/roles/", views.user_roles, name="user_roles"),
]
