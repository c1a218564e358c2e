"""Assessment checks contributed to the master-list exceptions report."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from socmaster.threats.exceptions import ExceptionCheck, active, register

from .choices import AssessmentStatus
from .models import Assessment


def _with_latest(qs, **fields):
    """Active threats annotated with fields of their latest moderated assessment (one query)."""
    latest = Assessment.objects.filter(
        threat=OuterRef("pk"), status=AssessmentStatus.MODERATED
    ).order_by("-version_number")
    return active(qs).annotate(
        **{name: Subquery(latest.values(field)[:1]) for name, field in fields.items()}
    )


def _rows(qs, describe):
    return [
        {"threat": t, "detail": describe(t)}
        for t in qs.select_related("owner", "lro").order_by("owner__name", "reference")
    ]


def _past_review(qs):
    today = timezone.localdate()
    due = _with_latest(qs, latest_review="review_due").filter(latest_review__lt=today)
    return _rows(due, lambda t: f"Review was due {t.latest_review:%d %b %Y}")


def _stale(qs):
    limit = int(settings.SOCMASTER.get("STALE_EVIDENCE_DAYS", 365))
    today = timezone.localdate()
    stale = _with_latest(qs, latest_evidence="evidence_to").filter(
        latest_evidence__lt=today - dt.timedelta(days=limit)
    )
    return _rows(
        stale,
        lambda t: (
            f"Newest evidence {t.latest_evidence:%d %b %Y} "
            f"({(today - t.latest_evidence).days} days old)"
        ),
    )


def _partial(qs):
    part = _with_latest(qs, latest_whole="whole_threat", latest_why="partial_justification").filter(
        latest_whole=False
    )
    return _rows(part, lambda t: f"Part only: {t.latest_why}")


def _no_assessment(qs):
    moderated = Assessment.objects.filter(threat=OuterRef("pk"), status=AssessmentStatus.MODERATED)
    any_assessment = Assessment.objects.filter(threat=OuterRef("pk"))
    threats = active(qs).filter(~Exists(moderated)).annotate(has_any=Exists(any_assessment))
    return [
        {
            "threat": t,
            "detail": "Assessment in progress"
            if t.has_any
            else "Imported status: " + t.get_moderation_status_display(),
        }
        for t in threats.select_related("owner").order_by("owner__name", "reference")
        if t.has_any or t.moderation_status != "moderated"
    ]


def register_checks() -> None:
    register(
        ExceptionCheck(
            "not_moderated",
            "Threats without a moderated assessment",
            "Only a moderated MoRiLE assessment gives a threat an agreed score and tier.",
            _no_assessment,
        )
    )
    register(
        ExceptionCheck(
            "review_overdue",
            "Assessments past their review date",
            "The latest moderated assessment should have been reviewed by now.",
            _past_review,
        )
    )
    register(
        ExceptionCheck(
            "stale_evidence",
            "Scores resting on old evidence",
            "The newest evidence behind the latest moderated score is older than the limit "
            f"({settings.SOCMASTER.get('STALE_EVIDENCE_DAYS', 365)} days).",
            _stale,
        )
    )
    register(
        ExceptionCheck(
            "partial",
            "Assessments that do not cover the whole threat",
            "Assess all members and all criminality, not only the part under one operation.",
            _partial,
        )
    )
