"""Assessment checks contributed to the master-list exceptions report."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from socmaster.threats.exceptions import ExceptionCheck, active, register

from .choices import AssessmentStatus
from .models import Assessment


def _latest_moderated(qs):
    latest = Assessment.objects.filter(threat=OuterRef("pk"), status=AssessmentStatus.MODERATED).order_by(
        "-version_number")
    return active(qs).annotate(latest_id=Subquery(latest.values("id")[:1])).filter(latest_id__isnull=False)


def _rows(qs, describe):
    threats = list(_latest_moderated(qs).select_related("owner", "lro").order_by("owner__name", "reference"))
    by_id = Assessment.objects.in_bulk([t.latest_id for t in threats])
    rows = []
    for threat in threats:
        detail = describe(by_id[threat.latest_id])
        if detail:
            rows.append({"threat": threat, "detail": detail})
    return rows


def _past_review(qs):
    today = timezone.localdate()
    return _rows(qs, lambda a: f"Review was due {a.review_due:%d %b %Y}" if a.review_due < today else "")


def _stale(qs):
    limit = int(settings.SOCMASTER.get("STALE_EVIDENCE_DAYS", 365))
    cutoff = timezone.localdate() - dt.timedelta(days=limit)
    return _rows(qs, lambda a: f"Newest evidence {a.evidence_to:%d %b %Y} ({a.evidence_age_days} days old)"
                 if a.evidence_to < cutoff else "")


def _partial(qs):
    return _rows(qs, lambda a: f"Part only: {a.partial_justification}" if not a.whole_threat else "")


def _no_assessment(qs):
    moderated = Assessment.objects.filter(threat=OuterRef("pk"), status=AssessmentStatus.MODERATED)
    any_assessment = Assessment.objects.filter(threat=OuterRef("pk"))
    threats = active(qs).filter(~Exists(moderated)).annotate(has_any=Exists(any_assessment))
    return [{"threat": t, "detail": "Assessment in progress" if t.has_any else "Imported status: "
             + t.get_moderation_status_display()}
            for t in threats.select_related("owner").order_by("owner__name", "reference")
            if t.has_any or t.moderation_status != "moderated"]


def register_checks() -> None:
    register(ExceptionCheck("not_moderated", "Threats without a moderated assessment",
                            "Only a moderated MoRiLE assessment gives a threat an agreed score and tier.",
                            _no_assessment))
    register(ExceptionCheck("review_overdue", "Assessments past their review date",
                            "The latest moderated assessment should have been reviewed by now.", _past_review))
    register(ExceptionCheck("stale_evidence", "Scores resting on old evidence",
                            "The newest evidence behind the latest moderated score is older than the limit "
                            f"({settings.SOCMASTER.get('STALE_EVIDENCE_DAYS', 365)} days).", _stale))
    register(ExceptionCheck("partial", "Assessments that do not cover the whole threat",
                            "Assess all members and all criminality, not only the part under one operation.",
                            _partial))
