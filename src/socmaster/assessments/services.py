"""The assessment workflow. Each function checks the current state, writes in one transaction and
records one audit entry. A moderated assessment never changes; a re-assessment is a new version."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone

from socmaster.core import audit, policy
from socmaster.core.choices import Action, AuditAction
from socmaster.core.services import audited_update, refuse_unknown, undo_import_write
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
            # The London day of the moderation (a UTC date is the day before between 00:00
            # and 01:00 in summer).
            "assessed_on": timezone.localdate(moderated.moderated_at)
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


# --- Imports: assessments made in a force's own systems --------------------------------------

#: A day of the source system's stored as a moment: noon in London, so it is the same day in
#: UTC and in London whatever the season.
_LONDON = ZoneInfo("Europe/London")
#: The threat's figures an assessment sets (``_sync_threat``), kept to undo an import.
THREAT_FIGURES = ("score", "tier", "assessed_on", "moderation_status", "assessment_source")
RECORD_TYPE = "assessments.assessment"


def _moment(day: dt.date | None) -> dt.datetime | None:
    return None if day is None else dt.datetime.combine(day, dt.time(12), tzinfo=_LONDON)


def _made_in_product(threat: Threat, version_number: int) -> str:
    return (
        f"Version {version_number} of {threat.reference}'s assessment was made in the product; "
        "an import does not replace it."
    )


def imported_assessment_values(
    threat: Threat,
    *,
    version_number: int,
    answers: dict,
    evidence_from: dt.date | None,
    evidence_to: dt.date | None,
    review_due: dt.date | None,
    status: str,
    assessor,
    scheme: SchemeVersion | None = None,
    whole_threat: bool = True,
    partial_justification: str = "",
    summary: str = "",
    submitted_on: dt.date | None = None,
    moderator=None,
    moderated_by: str = "",
    moderated_on: dt.date | None = None,
    return_reason: str = "",
    tier: int | None = None,
) -> dict:
    """What an assessment imported from a force's own records stores, checked by the rules of
    :func:`create_assessment` (evidence and review dates, whole threat, text, scoring by the
    engine) and of the workflow (a moderated assessment has a moderator who is not its
    assessor, a returned one its reason; no date in the future or out of order). ``tier``, if
    the file gives one, must be the engine's. The status and dates are the source system's:
    created on the newest evidence's day, submitted and moderated on the days given;
    ``moderated_by`` names a moderator of the source system (``DecidedOutside``).
    Raises one ValidationError naming every problem."""
    if version_number is None or version_number < 1:
        raise ValidationError({"version_number": ["The version must be a whole number from 1."]})
    stored = (
        Assessment.objects.filter(threat=threat, version_number=version_number)
        .select_related("scheme")
        .first()
    )
    if stored is not None and not stored.is_imported:
        raise ValidationError({"version_number": [_made_in_product(threat, version_number)]})
    # Without a scheme named, a version imported before keeps the scheme it was scored with (a
    # re-import does not re-score history when a new scheme is loaded); else the current one.
    scheme = scheme or (stored.scheme if stored is not None else current_scheme())
    fields = dict(
        answers=answers,
        evidence_from=evidence_from,
        evidence_to=evidence_to,
        review_due=review_due,
        whole_threat=whole_threat,
        partial_justification=(partial_justification or "").strip(),
        summary=(summary or "").strip(),
    )
    moderated_by, return_reason = (moderated_by or "").strip(), (return_reason or "").strip()
    errors: dict[str, list[str]] = {}
    try:
        _validate(fields, threat)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        check_text(
            Assessment, {"return_reason": return_reason, "outside_decision_by": moderated_by}
        )
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors[{"outside_decision_by": "moderated_by"}.get(name, name)] = messages
    today = timezone.localdate()
    for name, day in (("submitted_on", submitted_on), ("moderated_on", moderated_on)):
        if day is not None and day > today:
            errors[name] = ["The date cannot be in the future."]
    label = AssessmentStatus(status).label.lower()
    if status == AssessmentStatus.DRAFT and submitted_on is not None:
        errors["submitted_on"] = ["A draft assessment has not been submitted: leave this blank."]
    if status in (AssessmentStatus.DRAFT, AssessmentStatus.SUBMITTED):
        for name, given in (
            ("moderator", moderator is not None),
            ("moderated_by", bool(moderated_by)),
            ("moderated_on", moderated_on is not None),
        ):
            if given:
                errors[name] = [f"A {label} assessment has not been moderated: leave this blank."]
    if status == AssessmentStatus.MODERATED and moderator is None and not moderated_by:
        errors["moderator"] = [
            "A moderated assessment needs its moderator: a username (Moderator) or the name "
            "in the source system (Moderated by)."
        ]
    if status == AssessmentStatus.RETURNED and not return_reason:
        errors["return_reason"] = ["Say why the assessment was returned."]
    if moderator is not None and assessor is not None and moderator.pk == assessor.pk:
        errors["moderator"] = [
            "Nobody moderates their own assessment: the moderator cannot be the assessor."
        ]
    if submitted_on and evidence_to and submitted_on < evidence_to:
        errors.setdefault("submitted_on", ["It cannot be submitted before its newest evidence."])
    earliest = submitted_on or evidence_to
    if moderated_on and earliest and moderated_on < earliest:
        errors.setdefault(
            "moderated_on",
            ["It cannot be moderated before it was submitted (or before its newest evidence)."],
        )
    try:
        result, score_value, engine_tier = _score(scheme, answers)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    else:
        if tier is not None and tier != engine_tier:
            errors["tier"] = [
                f"The answers score Tier {engine_tier} under {scheme}, not Tier {tier}."
            ]
    if errors:
        raise ValidationError(errors)
    decided = status in (AssessmentStatus.MODERATED, AssessmentStatus.RETURNED)
    last = max(d for d in (evidence_to, submitted_on, moderated_on) if d is not None)
    return {
        **fields,
        "scheme": scheme,
        "result": result,
        "score": score_value,
        "tier": engine_tier,
        "status": status,
        "assessor": assessor,
        "submitted_at": _moment(submitted_on),
        "moderator": moderator,
        "moderated_at": _moment(moderated_on) if decided else None,
        "return_reason": return_reason,
        "outside_decision_by": moderated_by,
        "outside_decision_on": moderated_on if moderated_by else None,
        "created_at": _moment(evidence_to),
        "updated_at": _moment(last),
    }


@transaction.atomic
def import_assessment(
    user, threat: Threat, *, version_number: int, source: str, source_key: str, **row
) -> tuple[str, tuple[int, dict] | None]:
    """Create or update one assessment imported from a force's own records (``row``: the
    arguments of :func:`imported_assessment_values`; ``source`` names the file and row,
    ``source_key`` its key there). Needs change rights on the threat. The threat's figures
    then follow its assessments exactly as after a moderation in the product (``_sync_threat``:
    a moderated one gives the threat its score and tier, assessed on the moderation day).

    A version entered in the product is never replaced (``imported_assessment_values``, checked
    with the threat locked as a new version locks it), nor is a moderated one changed; an
    imported version not yet moderated is updated where the file changed it. Returns the
    outcome ('created', 'updated', 'unchanged') and what undoes it: (id, {"assessment":
    before-image or None, "threat_id": …, "threat": the threat's figures before, if they
    changed}), or None when nothing changed."""
    if not policy.can(user, Action.VIEW, threat):
        raise Http404("No such record.")
    if not policy.can(user, Action.CHANGE, threat):
        raise PermissionDenied("You may not import assessments of this threat.")
    threat = Threat.objects.select_for_update().get(pk=threat.pk)  # as a new version locks it
    values = imported_assessment_values(threat, version_number=version_number, **row)
    figures = audit.snapshot(threat, THREAT_FIGURES)
    source = (source or "import")[:300]
    existing = (
        Assessment.objects.select_for_update()
        .filter(threat=threat, version_number=version_number)
        .first()
    )
    if existing is None:
        assessment = Assessment(
            threat=threat,
            version_number=version_number,
            **values,
            import_source=source,
            imported_at=timezone.now(),
            source_key=source_key,
        )
        assessment.full_clean()
        assessment.save()
        audit.record(
            AuditAction.CREATE,
            assessment,
            user=user,
            changes={"after": audit.snapshot(assessment)},
        )
        before = None
        outcome = "created"
    else:
        if all(getattr(existing, name) == value for name, value in values.items()):
            return "unchanged", None
        if existing.status == AssessmentStatus.MODERATED:
            raise ValidationError(
                {
                    "status": [
                        f"Version {version_number} is moderated and never changes; record a "
                        "re-assessment as a new version."
                    ]
                }
            )
        before = audit.snapshot(existing)
        for name, value in values.items():
            setattr(existing, name, value)
        existing.import_source, existing.imported_at = source, timezone.now()
        existing.lock_version += 1
        existing.full_clean()
        existing.save()
        changes = audit.diff(before, audit.snapshot(existing))
        changes["import_source"] = {"before": before["import_source"], "after": source}
        audit.record(AuditAction.UPDATE, existing, user=user, changes=changes)
        assessment, outcome = existing, "updated"
    _sync_threat(threat)
    threat.refresh_from_db(fields=THREAT_FIGURES)
    changed = audit.snapshot(threat, THREAT_FIGURES) != figures
    return outcome, (
        assessment.pk,
        {"assessment": before, "threat_id": threat.pk, "threat": figures if changed else None},
    )


@transaction.atomic
def undo_import_change(job, undo) -> None:
    """Put back one assessment as it was before an import that did not finish (delete it if
    the import created it), and the threat's figures as they were before it."""
    before = undo.before or {}
    reason = f"Import {job.pk} ({job.source_name}) did not finish; its change is undone."
    undo_import_write(
        Assessment, undo.record_id, before.get("assessment"), user=job.created_by, reason=reason
    )
    if before.get("threat"):
        undo_import_write(
            Threat, before["threat_id"], before["threat"], user=job.created_by, reason=reason
        )
    undo.delete()
