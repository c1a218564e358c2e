from django.urls import path

from . import views

app_name = "linkage"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("matches/<int:pk>/", views.match_detail, name="match"),
    path("matches/<int:pk>/decide/", views.match_decide, name="decide"),
    path("matches/<int:pk>/unlink/", views.match_unlink, name="unlink"),
    path("matches/<int:pk>/seen/", views.match_seen, name="seen"),
    path("matches/<int:pk>/request-access/", views.request_access, name="request-access"),
    path("screen/", views.screen_start, name="screen"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/matches.csv", views.list_matches, name="list-matches"),
    path("lists/", views.lists, name="lists"),
    path("requests/", views.requests, name="requests"),
    path("requests/<int:pk>/answer/", views.answer_request, name="answer"),
    path("models/", views.models, name="models"),
    path("models/<int:version>/", views.model_detail, name="model"),
    path("lookup/", views.lookup, name="lookup"),
]
