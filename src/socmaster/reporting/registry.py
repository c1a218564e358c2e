"""What the reporting app adds to the shared registries (from ``ReportingConfig.ready()``).

The threat page's chart sets moderated MoRiLE scores against approved disruptions. It draws on two
apps of the same level, so it belongs to reporting, above both, rather than to either of them.
"""

from __future__ import annotations

import datetime as dt

from socmaster.assessments.choices import AssessmentStatus
from socmaster.assessments.models import Assessment
from socmaster.core.registry import NavItem, ThreatPanel, register_nav_item, register_threat_panel
from socmaster.disruptions.reports import threat_timeline


def _uk(day) -> str:
    return f"{day.day} {day:%b %Y}"


def _score_points(moderated) -> list[dict]:
    """Each moderated assessment as a point: its score and tier, and what changed and why."""
    points, previous = [], None
    for a in moderated:
        score = float(a.score)
        change = ""
        if previous is not None:
            delta = score - float(previous.score)
            change = f"{delta:+.1f}"
            if a.tier != previous.tier:
                change += f" (Tier {previous.tier} to Tier {a.tier})"
        reasons = []
        if a.summary.strip():
            reasons.append(a.summary.strip())
        if not a.whole_threat:
            reasons.append(
                "Covers part of the threat only: " + (a.partial_justification or "").strip()
            )
        points.append(
            {
                "date": a.evidence_to.isoformat(),
                "shown_date": _uk(a.evidence_to),
                "score": score,
                "tier": a.tier,
                "version": a.version_number,
                "change": change,
                "reason": " ".join(reasons) or "No summary was recorded.",
            }
        )
        previous = a
    return points


def _tier_bands(moderated) -> list[dict]:
    """The tier thresholds of the scheme behind the newest assessment (Tier 1 highest)."""
    newest = moderated[-1] if moderated else None
    if newest is None:
        return []
    try:
        tiers = newest.scheme.engine_scheme().tiers
    except Exception:  # a scheme that no longer loads: the chart goes without bands
        return []
    return [{"tier": t.tier, "min": float(t.min)} for t in tiers]


def _timeline(user, threat, points, disruptions) -> list[dict]:
    """Assessments, approved disruptions and the current plan's actions, newest first."""
    from socmaster.plans.choices import PlanStatus
    from socmaster.plans.models import Plan, PlanAction
    from socmaster.plans.services import visible_actions

    rows = [
        {
            "date": p["date"],
            "shown_date": p["shown_date"],
            "kind": "Assessment",
            "what": f"Version {p['version']} moderated: score {p['score']:.1f}, Tier {p['tier']}"
            + (f"; change {p['change']}" if p["change"] else ""),
        }
        for p in points
    ]
    rows += [
        {"date": d["date"], "shown_date": d["shown_date"], "kind": "Disruption", "what": d["label"]}
        for d in disruptions
    ]
    # The actions the plan page shows this user (policy first, then the LRO's partner sections).
    actions = PlanAction.objects.visible_to(user).filter(
        plan__threat=threat, plan__status=PlanStatus.CURRENT
    )
    plan = Plan.objects.filter(threat=threat, status=PlanStatus.CURRENT).first()
    if plan is not None:
        actions = actions.filter(pk__in=visible_actions(user, plan).values("pk"))
    actions = actions.order_by("pk")
    for action in actions:
        text = action.description.strip().splitlines()[0][:120] if action.description else ""
        label = f"{action.get_four_p_display()} action: {text}"
        if action.completed_on:
            rows.append(
                {
                    "date": action.completed_on.isoformat(),
                    "shown_date": _uk(action.completed_on),
                    "kind": "Plan action completed",
                    "what": label,
                }
            )
        elif action.due_date:
            rows.append(
                {
                    "date": action.due_date.isoformat(),
                    "shown_date": _uk(action.due_date),
                    "kind": "Plan action due",
                    "what": f"{label} ({action.get_status_display()})",
                }
            )
    return sorted(rows, key=lambda r: r["date"], reverse=True)


def _threat_chart(request, threat) -> dict | None:
    """Moderated scores by evidence date against the tier bands, approved disruptions, and a
    timeline with the plan's actions; None when there is nothing to show."""
    moderated = list(
        Assessment.objects.visible_to(request.user)
        .filter(threat=threat, status=AssessmentStatus.MODERATED)
        .select_related("scheme")
        .order_by("version_number")
    )
    points = _score_points(moderated)
    disruptions = [
        d | {"shown_date": _uk(dt.date.fromisoformat(d["date"]))}
        for d in threat_timeline(request.user, threat)
    ]
    timeline = _timeline(request.user, threat, points, disruptions)
    if not points and not disruptions and not timeline:
        return None
    return {
        "score_series": points,
        "disruption_series": disruptions,
        "tier_bands": _tier_bands(moderated),
        "timeline": timeline,
    }


def register() -> None:
    register_threat_panel(
        ThreatPanel(
            "timeline",
            "Score, disruptions and timeline",
            150,
            "reporting/_threat_chart.html",
            _threat_chart,
        )
    )
    register_nav_item(NavItem("reports", "Reports", "reporting:index", 1000))
