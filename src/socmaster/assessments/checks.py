"""Assessment checks contributed to the master-list exceptions report."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, Subquery
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
    """Threats whose latest moderated assessment says it covers the whole threat, but the threat
    has grown since: members joined after the evidence it rests on, or crime types were added to
    the threat after it was moderated (found in the threat's audited changes). It covers part of
    the threat now, whatever it said then."""
    from socmaster.threats.models import ThreatMember

    threats = _with_latest(
        qs,
        latest_whole="whole_threat",
        latest_evidence="evidence_to",
        latest_moderated="moderated_at",
    ).filter(latest_whole=True)
    joined = ThreatMember.objects.filter(
        threat=OuterRef("pk"), from_date__gt=OuterRef("latest_evidence")
    )
    threats = threats.annotate(joined=Exists(joined))
    added = _crime_types_added_since(threats)
    flagged = threats.filter(Q(joined=True) | Q(pk__in=list(added)))
    rows = []
    for t in flagged.select_related("owner", "lro").order_by("owner__name", "reference"):
        reasons = []
        if t.joined:
            members = t.members.filter(from_date__gt=t.latest_evidence).select_related("nominal")
            names = ", ".join(str(m.nominal) for m in members[:5])
            reasons.append(
                f"Assessed on evidence to {t.latest_evidence:%d %b %Y}; joined since: {names}"
            )
        if t.pk in added:
            reasons.append(
                f"Crime types added since it was moderated: {', '.join(sorted(added[t.pk]))}"
            )
        rows.append({"threat": t, "detail": "; ".join(reasons)})
    return rows


def _crime_types_added_since(threats) -> dict[int, set[str]]:
    """Threat id -> labels of crime types it has now that were added (by an audited change)
    after its latest moderated assessment was moderated."""
    from socmaster.core.choices import AuditAction
    from socmaster.core.models import AuditEntry
    from socmaster.threats.models import CrimeType, Threat

    moderated = {
        str(pk): when
        for pk, when in threats.filter(latest_moderated__isnull=False).values_list(
            "pk", "latest_moderated"
        )
    }
    if not moderated:
        return {}
    entries = AuditEntry.objects.filter(
        record_type="threats.threat",
        action=AuditAction.UPDATE,
        timestamp__gt=min(moderated.values()),
        changes__has_key="crime_types",
    ).values_list("record_id", "timestamp", "changes")
    added: dict[int, set[int]] = {}
    for record_id, when, changes in entries.iterator(chunk_size=1000):
        if record_id not in moderated or when <= moderated[record_id]:
            continue
        change = changes["crime_types"]
        new = set(change.get("after") or []) - set(change.get("before") or [])
        if new:
            added.setdefault(int(record_id), set()).update(new)
    if not added:
        return {}
    current = Threat.crime_types.through.objects.filter(threat_id__in=list(added))
    still = {}
    for threat_id, crime_id in current.values_list("threat_id", "crimetype_id"):
        if crime_id in added[threat_id]:
            still.setdefault(threat_id, set()).add(crime_id)
    labels = dict(CrimeType.objects.values_list("pk", "label"))
    return {t: {labels[c] for c in ids} for t, ids in still.items()}


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
            "Whole-threat assessments overtaken by new members or crime types",
            "Members joined after the evidence a 'whole threat' assessment rests on, or crime "
            "types were added to the threat after it was moderated: it covers part of the threat "
            "now. Reassess the whole group and all its criminality.",
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
