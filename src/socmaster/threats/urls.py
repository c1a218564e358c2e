from django.urls import path

from socmaster.core import converters  # noqa: F401  (registers the "ref" converter)

from . import reference_views, views

app_name = "threats"
urlpatterns = [
    path("", views.threat_list, name="list"),
    path("new/", views.threat_create, name="create"),
    path("export.<str:fmt>", views.threat_export, name="export"),
    path("exceptions/", views.exceptions_report, name="exceptions"),
    path("exceptions.<str:fmt>", views.exceptions_export, name="exceptions-export"),
    path("reference-data/", reference_views.reference_data, name="reference_data"),
    path("nominals/", views.nominal_list, name="nominals"),
    path("nominals/new/", views.nominal_create, name="nominal_create"),
    path("nominals/<ref:reference>/", views.nominal_detail, name="nominal"),
    path("<ref:reference>/", views.threat_detail, name="detail"),
    path("<ref:reference>/edit/", views.threat_edit, name="edit"),
    path("<ref:reference>/delete/", views.threat_delete, name="delete"),
    path("<ref:reference>/members/new/", views.member_add, name="member_add"),
    path("<ref:reference>/links/new/", views.link_add, name="link_add"),
]
