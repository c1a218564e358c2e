from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import DefaultRouter

from socmaster.assessments.api import AssessmentViewSet, SchemeVersionViewSet
from socmaster.core import views as core_views
from socmaster.core.api import AuditEntryViewSet
from socmaster.core.tokens import ObtainExpiringToken
from socmaster.disruptions.api import DisruptionViewSet
from socmaster.gateway.api import CapabilityViewSet, SupportRequestViewSet
from socmaster.intelligence.api import IntelligenceReportViewSet, SarViewSet
from socmaster.network.api import AssociationViewSet, NetworkRunViewSet
from socmaster.organisations.api import OrganisationViewSet, UserViewSet
from socmaster.plans.api import (
    PlanActionViewSet,
    PlanReviewViewSet,
    PlanTemplateViewSet,
    PlanViewSet,
)
from socmaster.tasking.debrief_api import DebriefViewSet, LessonViewSet
from socmaster.tasking.meeting_api import MeetingActionViewSet, MeetingViewSet
from socmaster.threats.api import NominalViewSet, ThreatMemberViewSet, ThreatViewSet
from socmaster.web import views as web_views

router = DefaultRouter()
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("users", UserViewSet, basename="user")
router.register("threats", ThreatViewSet, basename="threat")
router.register("nominals", NominalViewSet, basename="nominal")
router.register("memberships", ThreatMemberViewSet, basename="membership")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("schemes", SchemeVersionViewSet, basename="scheme")
router.register("disruptions", DisruptionViewSet, basename="disruption")
router.register("plans", PlanViewSet, basename="plan")
router.register("plan-actions", PlanActionViewSet, basename="plan-action")
router.register("plan-reviews", PlanReviewViewSet, basename="plan-review")
router.register("plan-templates", PlanTemplateViewSet, basename="plan-template")
router.register("intelligence-reports", IntelligenceReportViewSet, basename="intelligence-report")
router.register("sars", SarViewSet, basename="sar")
router.register("associations", AssociationViewSet, basename="association")
router.register("network-runs", NetworkRunViewSet, basename="network-run")
router.register("gateway-requests", SupportRequestViewSet, basename="gateway-request")
router.register("capabilities", CapabilityViewSet, basename="capability")
router.register("debriefs", DebriefViewSet, basename="debrief")
router.register("lessons", LessonViewSet, basename="lesson")
router.register("meetings", MeetingViewSet, basename="meeting")
router.register("meeting-actions", MeetingActionViewSet, basename="meeting-action")
router.register("audit", AuditEntryViewSet, basename="audit")

urlpatterns = [
    path("", web_views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            authentication_form=web_views.GovukAuthenticationForm,
            extra_context={"failure_limit": settings.LOGIN_FAILURES_PER_USER},
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("reason/", core_views.give_reason, name="give-reason"),
    path("token/", core_views.api_token, name="api-token"),
    path("audit/", include("socmaster.core.urls")),
    path("threats/", include("socmaster.threats.urls")),
    path("threats-import/", include("socmaster.threats.import_urls")),
    path("intelligence/", include("socmaster.intelligence.urls")),
    path("linkage/", include("socmaster.linkage.urls")),
    path("network/", include("socmaster.network.urls")),
    path("gateway/", include("socmaster.gateway.urls")),
    path("tasking/", include("socmaster.tasking.urls")),
    path("synthetic-data/", web_views.synthetic, name="synthetic-data"),
    path("assessments/", include("socmaster.assessments.urls")),
    path("disruptions/", include("socmaster.disruptions.urls")),
    path("plans/", include("socmaster.plans.urls")),
    path("reports/", include("socmaster.reporting.urls")),
    path("", include("socmaster.organisations.urls")),
    path("api/", include(router.urls)),
    path("api/token/", ObtainExpiringToken.as_view(), name="api-obtain-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file, so the CSP needs no exception.
    # Inside the product's page (header, menu, a way back), not a bare Swagger page.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="web/api_docs.html"),
        name="swagger-ui",
    ),
    # ReDoc writes its styles at run time and renders in a blob: worker: only this page allows it.
    path(
        "api/redoc/",
        csp_update({"style-src": [UNSAFE_INLINE], "worker-src": ["blob:"]})(
            SpectacularRedocView.as_view(url_name="schema", template_name="web/api_redoc.html")
        ),
        name="redoc",
    ),
    path("admin/", admin.site.urls),
]
