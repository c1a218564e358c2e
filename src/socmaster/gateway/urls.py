from django.urls import path

from . import views

app_name = "gateway"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("capabilities/", views.capabilities, name="capabilities"),
    path("capabilities/<slug:code>/", views.capability_edit, name="capability"),
    path("capabilities/<slug:code>/offers/new/", views.offer_new, name="offer-new"),
    path("offers/<int:pk>/", views.offer_edit, name="offer"),
    path("demand/", views.demand, name="demand"),
    path("demand/export.<str:fmt>", views.demand_export, name="demand-export"),
    path("<str:reference>/", views.request_detail, name="request"),
    path("<str:reference>/<slug:step>/", views.request_act, name="act"),
]
