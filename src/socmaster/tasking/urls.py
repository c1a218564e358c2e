from django.urls import path  # noqa: F401

from .views import debriefs, meetings  # noqa: F401

app_name = "tasking"

#: Each part lists its own routes (``views.meetings.urlpatterns``, ``views.debriefs.urlpatterns``).
urlpatterns = [
    *getattr(meetings, "urlpatterns", []),
    *getattr(debriefs, "urlpatterns", []),
]
