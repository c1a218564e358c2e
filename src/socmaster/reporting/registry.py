"""What the reporting app adds to the shared registries (from ``ReportingConfig.ready()``).

The threat page's chart sets moderated MoRiLE scores against approved disruptions. It draws on two
apps of the same level, so it belongs to reporting, above both, rather than to either of them.
"""

from __future__ import annotations

from socmaster.assessments.choices import AssessmentStatus
from socmaster.assessments.models import Assessment
from socmaster.core.registry import NavItem, ThreatPanel, register_nav_item, register_threat_panel
from socmaster.disruptions.reports import threat_timeline


def _threat_chart(request, threat) -> dict | None:
    """Moderated scores by evidence date and approved disruptions; None when there is neither."""
    moderated = (
        Assessment.objects.visible_to(request.user)
        .filter(threat=threat, status=AssessmentStatus.MODERATED)
        .order_by("version_number")
    )
    scores = [{"date": a.evidence_to.isoformat(), "score": float(a.score)} for a in moderated]
    disruptions = threat_timeline(request.user, threat)
    if not scores and not disruptions:
        return None
    return {"score_series": scores, "disruption_series": disruptions}


def register() -> None:
    register_threat_panel(
        ThreatPanel(
            "timeline",
            "Score and disruptions over time",
            150,
            "reporting/_threat_chart.html",
            _threat_chart,
        )
    )
    register_nav_item(NavItem("reports", "Reports", "reporting:index", 1000))
