from django.urls import path

from socmaster.core import converters  # noqa: F401  (registers the "ref" converter)

from . import views

app_name = "plans"
urlpatterns = [
    path("", views.plan_list, name="list"),
    path("export.csv", views.plan_list_export, name="list-export"),
    path("quality/", views.dashboard, name="dashboard"),
    path("quality.<str:fmt>", views.quality_export, name="quality-export"),
    path("reviews-due/", views.reviews_due, name="reviews-due"),
    path("actions/", views.action_list, name="actions"),
    path("actions.<str:fmt>", views.action_list_export, name="actions-export"),
    path("actions/<int:pk>/", views.action_detail, name="action"),
    path("templates/", views.template_list, name="templates"),
    path("templates/<slug:org_key>/<str:threat_type>/", views.template_edit, name="template-edit"),
    path("<ref:reference>/", views.plan_detail, name="detail"),
    path("<ref:reference>/new/", views.plan_create, name="create"),
    path("<ref:reference>/edit/", views.plan_edit, name="edit"),
    path("<ref:reference>/new-version/", views.plan_new_version, name="new-version"),
    path("<ref:reference>/actions/new/", views.action_add, name="action-add"),
    path(
        "<ref:reference>/actions.<str:fmt>", views.plan_actions_export, name="actions-export-plan"
    ),
    path("<ref:reference>/reviews/new/", views.review_add, name="review-add"),
    path("<ref:reference>/print/", views.plan_print, name="print"),
    path("<ref:reference>/plan.pdf", views.plan_pdf, name="pdf"),
]
