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
    """Scores older than the limit, whatever their source: the newest evidence behind the latest
    moderated assessment in the product or, for a threat with none, the assessment date of an
    imported score."""
    limit = int(settings.SOCMASTER.get("STALE_EVIDENCE_DAYS", 365))
    today = timezone.localdate()
    cutoff = today - dt.timedelta(days=limit)
    stale = _with_latest(qs, latest_evidence="evidence_to").filter(latest_evidence__lt=cutoff)
    rows = _rows(
        stale,
        lambda t: (
            f"Newest evidence {t.latest_evidence:%d %b %Y} "
            f"({(today - t.latest_evidence).days} days old)"
        ),
    )
    moderated = Assessment.objects.filter(threat=OuterRef("pk"), status=AssessmentStatus.MODERATED)
    imported = (
        active(qs).filter(~Exists(moderated), assessed_on__lt=cutoff).exclude(score__isnull=True)
    )
    rows += _rows(
        imported,
        lambda t: (
            f"Imported score assessed {t.assessed_on:%d %b %Y} "
            f"({(today - t.assessed_on).days} days old; from {t.assessment_source or 'an import'})"
        ),
    )
    return sorted(rows, key=lambda r: (r["threat"].owner.name, r["threat"].reference))


def _no_longer_whole(qs):
    """Threats whose latest moderated assessment says it covers the whole threat, but members
    joined after the evidence it rests on: it covers part of the threat now."""
    from socmaster.threats.models import ThreatMember

    threats = _with_latest(qs, latest_whole="whole_threat", latest_evidence="evidence_to").filter(
        latest_whole=True
    )
    joined = ThreatMember.objects.filter(
        threat=OuterRef("pk"), from_date__gt=OuterRef("latest_evidence")
    )
    threats = threats.annotate(joined=Exists(joined)).filter(joined=True)
    rows = []
    for t in threats.select_related("owner", "lro").order_by("owner__name", "reference"):
        members = t.members.filter(from_date__gt=t.latest_evidence).select_related("nominal")
        names = ", ".join(str(m.nominal) for m in members[:5])
        rows.append(
            {
                "threat": t,
                "detail": f"Assessed on evidence to {t.latest_evidence:%d %b %Y}; joined since: "
                f"{names}",
            }
        )
    return rows


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
            "The newest evidence behind the latest moderated score, or the date of an imported "
            f"score, is older than the limit ({settings.SOCMASTER.get('STALE_EVIDENCE_DAYS', 365)}"
            " days).",
            _stale,
        )
    )
    register(
        ExceptionCheck(
            "no_longer_whole",
            "Whole-threat assessments overtaken by new members",
            "Members joined after the evidence a 'whole threat' assessment rests on: it covers "
            "part of the threat now. Reassess the whole group.",
            _no_longer_whole,
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
