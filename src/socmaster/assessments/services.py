"""The assessment workflow. Each function checks the current state, writes in one transaction and
records one audit entry. A moderated assessment never changes; a re-assessment is a new version."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone

from socmaster.core import audit, policy
from socmaster.core.choices import Action, AuditAction
from socmaster.core.services import audited_update, refuse_unknown
from socmaster.core.validators import check_text
from socmaster.core.workflow import transition
from socmaster.organisations.choices import Role
from socmaster.threats.choices import ModerationStatus
from socmaster.threats.models import Threat

from .choices import TRANSITIONS, AssessmentStatus
from .models import Assessment, SchemeVersion

EDITABLE = (
    "answers",
    "whole_threat",
    "partial_justification",
    "evidence_from",
    "evidence_to",
    "review_due",
    "summary",
)


# --- Schemes ---------------------------------------------------------------------------------


@transaction.atomic
def load_scheme_version(
    user, definition: dict | str, *, make_current: bool = True
) -> SchemeVersion:
    """Validate a scheme with the engine and store it as a new version.

    Scoring schemes are national reference data: only a national administrator (or an operator
    at the CLI, ``user`` None) loads one.
    """
    from socmaster.morile import SchemeError, load_scheme

    if not policy.is_national_administrator(user):
        raise PermissionDenied("Only a national administrator may load scoring schemes.")

    try:
        scheme = load_scheme(definition)
    except SchemeError as exc:
        raise ValidationError({"definition": [str(e) for e in exc.errors]}) from exc
    data = scheme.to_dict()
    if SchemeVersion.objects.filter(name=scheme.name, version=scheme.version).exists():
        existing = SchemeVersion.objects.get(name=scheme.name, version=scheme.version)
        if existing.definition != data:
            raise ValidationError(
                {
                    "version": [
                        f"Version {scheme.version} of {scheme.name} already exists with different content; "
                        "give the new scheme a new version number."
                    ]
                }
            )
        return existing
    if make_current:
        SchemeVersion.objects.filter(name=scheme.name, is_current=True).update(is_current=False)
    version = SchemeVersion.objects.create(
        name=scheme.name,
        version=scheme.version,
        label=scheme.label,
        definition=data,
        is_current=make_current,
    )
    audit.record(
        AuditAction.CREATE,
        version,
        user=user,
        changes={"after": {"name": scheme.name, "version": scheme.version}},
    )
    return version


def current_scheme() -> SchemeVersion:
    scheme = SchemeVersion.objects.filter(is_current=True).order_by("-loaded_at").first()
    if scheme is None:
        raise ValidationError(
            {"scheme": ["No scoring scheme is loaded: run 'socmaster load-scheme'."]}
        )
    return scheme


# --- Who may do what -------------------------------------------------------------------------


def _region_id(threat: Threat):
    return threat.owner.region_id


def may_assess(user, threat: Threat) -> bool:
    """The owning organisation's staff, or a ROCTA assessor of the owning region."""
    if not policy.can(user, Action.VIEW, threat) or policy.is_read_only(user):
        return False
    if policy.can(user, Action.CHANGE, threat):
        return True
    return any(
        m.role == Role.ROCTA_ASSESSOR and m.organisation.region_id == _region_id(threat)
        for m in user.active_memberships
    )


def may_moderate(user, assessment: Assessment) -> bool:
    """A moderator of the owning region who neither assessed it nor changed it."""
    if policy.is_read_only(user) or assessment.assessor_id == user.pk:
        return False
    if user.pk in audit.editors_of(assessment):
        return False
    if not policy.can(user, Action.VIEW, assessment.threat):
        return False
    region = _region_id(assessment.threat)
    return any(
        m.role == Role.MODERATOR and region is not None and m.organisation.region_id == region
        for m in user.active_memberships
    )


def moderation_queue(user):
    """Submitted assessments ``user`` may moderate (exactly those :func:`may_moderate` allows),
    oldest submission first, as one queryset: the queue page and the home page's count."""
    regions = {
        m.organisation.region_id
        for m in user.active_memberships
        if m.role == Role.MODERATOR and m.organisation.region_id is not None
    }
    if policy.is_read_only(user) or not regions:
        return Assessment.objects.none()
    queue = (
        Assessment.objects.visible_to(user)
        .filter(status=AssessmentStatus.SUBMITTED, threat__owner__region_id__in=regions)
        .exclude(assessor_id=user.pk)
    )
    return audit.not_edited_by(queue, user).order_by("submitted_at", "pk")


# --- Scoring ---------------------------------------------------------------------------------


def _score(scheme: SchemeVersion, answers: dict):
    from socmaster.morile import AnswerError, score

    try:
        result = score(scheme.engine_scheme(), answers)
    except AnswerError as exc:
        raise ValidationError({"answers": [str(p) for p in exc.problems]}) from exc
    data = json.loads(json.dumps(result.to_dict()))
    priority = next((f for f in data.get("figures", []) if f.get("key") == "priority"), None)
    value = priority["value"] if priority else data.get("priority")
    return data, Decimal(str(round(float(value), 2))), int(result.tier)


def _validate(fields: dict, threat: Threat) -> None:
    errors: dict[str, list[str]] = {}
    try:
        check_text(Assessment, fields)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    start, end, review = (
        fields.get("evidence_from"),
        fields.get("evidence_to"),
        fields.get("review_due"),
    )
    today = timezone.localdate()
    if start is None:
        errors["evidence_from"] = ["Give the date of the oldest evidence used."]
    if end is None:
        errors["evidence_to"] = ["Give the date of the newest evidence used."]
    if start and end and end < start:
        errors["evidence_to"] = ["The newest evidence cannot be older than the oldest."]
    if end and end > today:
        errors["evidence_to"] = ["Evidence cannot be dated in the future."]
    if review is None:
        errors["review_due"] = ["Give the date this assessment must be reviewed by."]
    elif end and review < end:
        errors["review_due"] = ["The review date must be after the evidence."]
    if (
        not fields.get("whole_threat", True)
        and not (fields.get("partial_justification") or "").strip()
    ):
        errors["partial_justification"] = [
            "Explain why this assessment does not cover all members and all criminality of the threat."
        ]
    if errors:
        raise ValidationError(errors)


# --- Workflow --------------------------------------------------------------------------------


@transaction.atomic
def create_assessment(
    user,
    threat: Threat,
    *,
    answers: dict,
    evidence_from: dt.date,
    evidence_to: dt.date,
    review_due: dt.date,
    whole_threat: bool = True,
    partial_justification: str = "",
    summary: str = "",
    scheme: SchemeVersion | None = None,
) -> Assessment:
    """Draft a new version of a threat's assessment, scored with the current (or given) scheme."""
    if not policy.can(user, Action.VIEW, threat):
        raise Http404("No such record.")
    if not may_assess(user, threat):
        raise PermissionDenied(
            "Only the owning organisation or a ROCTA assessor of its region may assess it."
        )
    scheme = scheme or current_scheme()
    fields = dict(
        answers=answers,
        evidence_from=evidence_from,
        evidence_to=evidence_to,
        review_due=review_due,
        whole_threat=whole_threat,
        partial_justification=partial_justification,
        summary=summary,
    )
    _validate(fields, threat)
    result, score_value, tier = _score(scheme, answers)
    threat = Threat.objects.select_for_update().get(pk=threat.pk)
    number = (threat.assessments.aggregate(n=Max("version_number"))["n"] or 0) + 1
    assessment = Assessment.objects.create(
        threat=threat,
        version_number=number,
        scheme=scheme,
        result=result,
        score=score_value,
        tier=tier,
        assessor=user,
        **fields,
    )
    _sync_threat(threat)
    audit.record(
        AuditAction.CREATE, assessment, user=user, changes={"after": audit.snapshot(assessment)}
    )
    return assessment


@transaction.atomic
def update_assessment(
    user, assessment: Assessment, *, expected_version=None, **fields
) -> Assessment:
    """Change a draft or returned assessment (re-scored). Submitted and moderated ones cannot change."""
    assessment = (
        Assessment.objects.select_for_update()
        .select_related("threat", "scheme")
        .get(pk=assessment.pk)
    )
    if not may_assess(user, assessment.threat):
        raise PermissionDenied("You may not change this assessment.")
    if not assessment.is_editable:
        raise ValidationError(
            {
                "status": [
                    f"A {assessment.get_status_display().lower()} assessment cannot be changed"
                    + (
                        "; record a re-assessment as a new version."
                        if assessment.status == AssessmentStatus.MODERATED
                        else "."
                    )
                ]
            }
        )
    refuse_unknown(fields, EDITABLE, "This field cannot be changed.")
    merged = {name: fields.get(name, getattr(assessment, name)) for name in EDITABLE}
    _validate(merged, assessment.threat)

    def rescore(obj):
        obj.result, obj.score, obj.tier = _score(obj.scheme, obj.answers)

    audited_update(user, assessment, merged, validate=rescore, expected_version=expected_version)
    return assessment


def _transition(user, assessment: Assessment, name: str, **extra) -> Assessment:
    transition(user, assessment, name, TRANSITIONS, reason=extra.get("return_reason", ""), **extra)
    _sync_threat(assessment.threat)
    return assessment


def _locked(assessment: Assessment) -> Assessment:
    return (
        Assessment.objects.select_for_update()
        .select_related("threat", "threat__owner")
        .get(pk=assessment.pk)
    )


@transaction.atomic
def submit_assessment(user, assessment: Assessment) -> Assessment:
    assessment = _locked(assessment)
    if not may_assess(user, assessment.threat):
        raise PermissionDenied("You may not submit this assessment.")
    return _transition(user, assessment, "submit", submitted_at=timezone.now())


@transaction.atomic
def moderate_assessment(user, assessment: Assessment) -> Assessment:
    assessment = _locked(assessment)
    if not may_moderate(user, assessment):
        raise PermissionDenied(
            "Moderation needs a moderator of the owning region who is not the assessor."
        )
    return _transition(user, assessment, "moderate", moderator=user, moderated_at=timezone.now())


@transaction.atomic
def return_assessment(user, assessment: Assessment, *, reason: str) -> Assessment:
    assessment = _locked(assessment)
    if not may_moderate(user, assessment):
        raise PermissionDenied(
            "Only a moderator of the owning region who is not the assessor may return it."
        )
    if not (reason or "").strip():
        raise ValidationError({"reason": ["Say why the assessment is being returned."]})
    try:
        check_text(Assessment, {"return_reason": reason})
    except ValidationError as exc:
        raise ValidationError({"reason": exc.message_dict["return_reason"]}) from exc
    return _transition(user, assessment, "return", moderator=user, return_reason=reason.strip())


def _sync_threat(threat: Threat) -> None:
    """The threat's score, tier and status come from its latest moderated assessment; before the
    first one, its status follows its latest assessment (imported figures stay until then)."""
    moderated = (
        threat.assessments.filter(status=AssessmentStatus.MODERATED)
        .order_by("-version_number")
        .first()
    )
    if moderated is not None:
        values = {
            "score": moderated.score,
            "tier": moderated.tier,
            "assessed_on": moderated.moderated_at.date()
            if moderated.moderated_at
            else moderated.evidence_to,
            "moderation_status": ModerationStatus.MODERATED,
            "assessment_source": "",
        }
    else:
        latest = threat.assessments.order_by("-version_number").first()
        if latest is None:
            return
        values = {"moderation_status": latest.status}
    Threat.objects.filter(pk=threat.pk).update(**values)
