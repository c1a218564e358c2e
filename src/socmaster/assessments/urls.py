from django.urls import path

from socmaster.core import converters  # noqa: F401  (registers the "ref" converter)

from . import views

app_name = "assessments"
urlpatterns = [
    path("queue/", views.moderation_queue, name="queue"),
    path("new/<ref:reference>/", views.assessment_create, name="create"),
    path("<int:pk>/", views.assessment_detail, name="detail"),
    path("<int:pk>/<str:action>/", views.assessment_transition, name="transition"),
]
