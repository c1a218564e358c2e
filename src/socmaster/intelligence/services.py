"""Intelligence reports and SARs: intake, grading, sanitising, dissemination, triage and the
processing queues. Every write checks the rules, writes in one transaction and records its audit
entry; views, API, CLI, importers and the demo loader all call these functions.

Who reads a report's **original** (the text as submitted): the submitting organisation's
intelligence unit (its members with the intelligence researcher role), the researchers named on
the report, and the submitting officer. Everyone else who may see the report reads only its
sanitised copy; inspectors too. Each reading of the original is audited with its reason.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from socmaster.core import audit, policy
from socmaster.core.choices import Action, AuditAction, Handling
from socmaster.core.reasons import REASON_TOO_SHORT, is_enough
from socmaster.core.references import next_reference
from socmaster.core.services import audited_update, refuse_unknown, require
from socmaster.core.validators import check_text
from socmaster.core.workflow import transition
from socmaster.organisations.choices import Role
from socmaster.threats.models import Identifier, Nominal, Threat, ThreatMember

from . import clock, risk
from .choices import (
    DEFAULT_SERVICE_LEVEL_DAYS,
    PROCESSED,
    QUEUED,
    TRANSITIONS,
    WAITING,
    ConsentDecision,
    Flag,
    HandlingCode,
    IntelAssessment,
    MentionKind,
    Priority,
    ProcessingStatus,
    SarType,
    ScreeningStatus,
    SourceEvaluation,
)
from .models import (
    Dissemination,
    IntelligenceReport,
    MoratoriumExtension,
    ReportMention,
    ReportSubject,
    SuspiciousActivityReport,
)

REPORT_PREFIX = "INT"
FLAGS = tuple(Flag.values)
#: Fields given when a report is submitted.
REPORT_FIELDS = (
    "submitted_on",
    "officer_name",
    "original_text",
    "source_evaluation",
    "intelligence_assessment",
    "handling_code",
    "handling_conditions",
    "handling",
    *FLAGS,
)
#: Fields that may be corrected afterwards (the original text never changes once submitted).
EDITABLE_FIELDS = (
    "source_evaluation",
    "intelligence_assessment",
    "handling_code",
    "handling_conditions",
    *FLAGS,
)
SUBJECT_FIELDS = (
    "family_name",
    "given_names",
    "date_of_birth",
    "gender",
    "nationality",
    "address",
    "postcode",
    "phone",
    "nominal",
)


# --- Rules ---------------------------------------------------------------------------------------


def grading_problems(values: dict) -> dict[str, list[str]]:
    """Every way the 3x5x2 grading in ``values`` is wrong, field by field."""
    errors: dict[str, list[str]] = {}
    checks = (
        ("source_evaluation", SourceEvaluation, "1, 2 or 3"),
        ("intelligence_assessment", IntelAssessment, "A, B, C, D or E"),
        ("handling_code", HandlingCode, "P or C"),
    )
    for name, choices, allowed in checks:
        value = values.get(name)
        if value in (None, ""):
            errors[name] = [f"Enter the {name.replace('_', ' ')} ({allowed})."]
        elif value not in choices.values:
            errors[name] = [f"'{value}' is not a {name.replace('_', ' ')}: use {allowed}."]
    code = values.get("handling_code")
    conditions = (values.get("handling_conditions") or "").strip()
    if code == HandlingCode.C and not conditions:
        errors["handling_conditions"] = [
            "A report with handling code C must state its handling conditions in words."
        ]
    if code == HandlingCode.P and conditions:
        errors["handling_conditions"] = [
            "Handling conditions are for handling code C; a P-coded report has none."
        ]
    return errors


def is_intelligence_unit(user, organisation_id: int) -> bool:
    return Role.RESEARCHER in user.roles_in(organisation_id)


def can_read_original(user, report: IntelligenceReport) -> bool:
    """May ``user`` read the report as submitted (not only its sanitised copy)?"""
    if not policy.can(user, Action.VIEW, report):
        return False
    if user.is_superuser:
        return True
    if report.submitting_officer_id == user.pk:
        return True
    if is_intelligence_unit(user, report.owner_id) and not policy.is_read_only(user):
        return True
    return report.researchers.filter(pk=user.pk).exists()


def can_process(user, record) -> bool:
    """May ``user`` work ``record`` (claim, triage, move it on)? Its owner's intelligence unit,
    and researchers named on it, provided they may change it."""
    if not policy.can(user, Action.CHANGE, record) or policy.is_read_only(user):
        return False
    if user.is_superuser or is_intelligence_unit(user, record.owner_id):
        return True
    if isinstance(record, IntelligenceReport):
        return record.researchers.filter(pk=user.pk).exists()
    return False


def _require_processor(user, record) -> None:
    require(user, Action.VIEW, record)
    if not can_process(user, record):
        raise PermissionDenied("Only the owner's intelligence unit processes this record.")


def _mentions_tier_1_2(report: IntelligenceReport) -> bool:
    if report.pk is None:
        return False
    if report.threats.filter(tier__in=(1, 2)).exists():
        return True
    nominal_ids = report.subjects.exclude(nominal=None).values("nominal_id")
    return ThreatMember.objects.filter(
        nominal_id__in=nominal_ids, threat__tier__in=(1, 2), to_date__isnull=True
    ).exists()


def report_factors(report: IntelligenceReport) -> risk.Factors:
    return risk.report_factors(
        flags={name: getattr(report, name) for name in FLAGS},
        source=report.source_evaluation,
        assessment=report.intelligence_assessment,
        mentions_tier_1_2=_mentions_tier_1_2(report),
    )


def sar_factors(sar: SuspiciousActivityReport) -> risk.Factors:
    return risk.sar_factors(
        sar_type=sar.sar_type,
        amount=sar.amount,
        matches_found=sar.screening_status == ScreeningStatus.MATCHES,
    )


#: Added to a SAR's queue score so that DAML and then vulnerability SARs come first.
TYPE_BONUS = {SarType.DAML: 2000, SarType.VULNERABILITY: 1000}


def queue_score(record, today: dt.date | None = None) -> int:
    """The queue's sort key for ``record`` today: its risk with the age part, plus the SAR type's
    place (DAML first, then vulnerability)."""
    score = record.risk_base + risk.age_points(waiting_days(record, today))
    if isinstance(record, SuspiciousActivityReport):
        score += TYPE_BONUS.get(record.sar_type, 0)
    return score


def _rescore(record) -> None:
    factors = (
        report_factors(record) if isinstance(record, IntelligenceReport) else sar_factors(record)
    )
    record.risk_base = risk.total(factors)
    today = timezone.localdate()
    record.queue_score, record.scored_on = queue_score(record, today), today
    type(record).objects.filter(pk=record.pk).update(
        risk_base=record.risk_base, queue_score=record.queue_score, scored_on=today
    )


def refresh_queue_scores(model, today: dt.date | None = None) -> int:
    """Bring the queue scores of waiting records not scored today up to date (one update; the
    age part changes with the date). Returns how many were updated."""
    today = today or timezone.localdate()
    stale = model.objects.filter(status__in=QUEUED).filter(
        Q(scored_on__isnull=True) | Q(scored_on__lt=today)
    )
    if not stale.exists():
        return 0
    score = F("risk_base") + _age_expression(today)
    if model is SuspiciousActivityReport:
        score = score + Case(
            *(When(sar_type=kind, then=Value(bonus)) for kind, bonus in TYPE_BONUS.items()),
            default=Value(0),
            output_field=IntegerField(),
        )
    with transaction.atomic():
        return stale.update(queue_score=score, scored_on=today)


def normalise_mention(kind: str, value: str) -> str:
    if kind == MentionKind.PLACE:
        return " ".join(value.lower().split())
    return "".join(ch for ch in value.upper() if ch.isalnum())


# --- Intake --------------------------------------------------------------------------------------


def _subject_errors(subjects: list[dict], user) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for i, subject in enumerate(subjects, start=1):
        unknown = set(subject) - set(SUBJECT_FIELDS)
        if unknown:
            errors[f"subjects[{i}]"] = [f"Unknown fields: {', '.join(sorted(unknown))}."]
            continue
        if not (subject.get("family_name") or "").strip() and subject.get("nominal") is None:
            errors[f"subjects[{i}]"] = ["Give the person's family name or the nominal."]
        nominal = subject.get("nominal")
        if nominal is not None and not policy.can(user, Action.VIEW, nominal):
            errors[f"subjects[{i}]"] = ["No such nominal."]
    return errors


def submit_report(
    user,
    *,
    owner,
    values: dict,
    subjects: list[dict] = (),
    mentions: list[tuple[str, str]] = (),
    threats: list[Threat] = (),
    researchers=(),
) -> IntelligenceReport:
    """Submit an intelligence report for ``owner`` (the submitting organisation)."""
    if not policy.can_create_for(user, owner):
        raise PermissionDenied("You may not submit reports for this organisation.")
    refuse_unknown(values, REPORT_FIELDS)
    check_text(IntelligenceReport, values)
    values = dict(values)
    errors = grading_problems(values)
    if not (values.get("original_text") or "").strip():
        errors["original_text"] = ["Enter the report as submitted."]
    subjects = [dict(s) for s in subjects]
    errors |= _subject_errors(subjects, user)
    for kind, value in mentions:
        if kind not in MentionKind.values:
            errors.setdefault("mentions", []).append(f"'{kind}' is not a place, phone or vehicle.")
        elif not str(value).strip():
            errors.setdefault("mentions", []).append(f"The {kind} mentioned is blank.")
    for threat in threats:
        if not policy.can(user, Action.VIEW, threat):
            errors.setdefault("threats", []).append("No such threat.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        report = IntelligenceReport(
            owner=owner,
            reference=next_reference(REPORT_PREFIX, IntelligenceReport.objects.all()),
            submitting_officer=user,
            officer_name=values.pop("officer_name", "") or user.get_full_name() or user.username,
            **values,
        )
        report.priority = risk.default_priority({name: getattr(report, name) for name in FLAGS})
        report.full_clean()
        report.save()
        for subject in subjects:
            ReportSubject.objects.create(report=report, **subject)
        for kind, value in mentions:
            value = str(value).strip()
            ReportMention.objects.create(
                report=report, kind=kind, value=value, normalised=normalise_mention(kind, value)
            )
        report.threats.set(threats)
        report.researchers.set(researchers)
        _rescore(report)
        audit.record(
            AuditAction.CREATE,
            report,
            user=user,
            changes={
                "grading": report.grading,
                "flags": report.flags,
                "subjects": len(subjects),
                "mentions": len(mentions),
                "threats": sorted(t.reference for t in threats),
            },
        )
    return report


def update_report(user, report: IntelligenceReport, values: dict, *, expected_version=None):
    """Correct a report's grading or flags (the original text is never changed)."""
    _require_processor(user, report)
    refuse_unknown(values, EDITABLE_FIELDS, "This field cannot be changed once submitted.")

    def validate(obj):
        errors = grading_problems({k: getattr(obj, k) for k in EDITABLE_FIELDS})
        if errors:
            raise ValidationError(errors)

    with transaction.atomic():
        report = IntelligenceReport.objects.select_for_update().get(pk=report.pk)
        changes = audited_update(
            user, report, values, validate=validate, expected_version=expected_version
        )
        if changes:
            _rescore(report)
    return changes


def write_sanitised(user, report: IntelligenceReport, text: str, *, expected_version=None):
    """Write (or rewrite) the dissemination version, which leaves out what identifies the source."""
    _require_processor(user, report)
    if not can_read_original(user, report):
        raise PermissionDenied("Only those who may read the original write its sanitised copy.")
    text = (text or "").strip()
    if not text:
        raise ValidationError({"sanitised_text": ["Enter the sanitised copy."]})
    with transaction.atomic():
        report = IntelligenceReport.objects.select_for_update().get(pk=report.pk)
        if text == report.original_text.strip():
            raise ValidationError(
                {
                    "sanitised_text": [
                        "The sanitised copy is the original word for word: remove what "
                        "identifies the source."
                    ]
                }
            )
        changes = audited_update(
            user, report, {"sanitised_text": text}, expected_version=expected_version
        )
        if changes:
            IntelligenceReport.objects.filter(pk=report.pk).update(
                sanitised_by=user, sanitised_at=timezone.now()
            )
    return changes


def open_original(user, report: IntelligenceReport, *, reason: str) -> str:
    """The report as submitted, for a reader allowed it; the reading is audited with its reason."""
    require(user, Action.VIEW, report)
    if not can_read_original(user, report):
        raise PermissionDenied(
            "Only the intelligence unit and named researchers read the original."
        )
    if not is_enough(reason):
        raise ValidationError({"reason": [REASON_TOO_SHORT]})
    with transaction.atomic():
        audit.record(
            AuditAction.VIEW,
            report,
            user=user,
            reason=reason.strip(),
            changes={"part": "original"},
        )
    return report.original_text


def disseminate(user, report: IntelligenceReport, organisations, *, purpose: str) -> list:
    """Disclose the sanitised copy to named organisations: each is an audited disclosure, and
    each organisation may see the report (its sanitised copy) from now on."""
    _require_processor(user, report)
    errors: dict[str, list[str]] = {}
    if not report.sanitised_text.strip():
        errors["sanitised_text"] = ["Write the sanitised copy before disseminating the report."]
    if report.handling == Handling.OWNER:
        errors["handling"] = [
            "An owner-only report is not shared: change its handling to named organisations first."
        ]
    if not is_enough(purpose):
        errors["purpose"] = ["Say why the report is disseminated (at least 5 characters)."]
    organisations = list(organisations)
    if not organisations:
        errors["organisations"] = ["Choose at least one organisation."]
    already = set(report.disseminations.values_list("organisation_id", flat=True))
    for organisation in organisations:
        if organisation.pk == report.owner_id:
            errors.setdefault("organisations", []).append(
                f"{organisation} owns the report already."
            )
        elif organisation.pk in already:
            errors.setdefault("organisations", []).append(
                f"The report was disseminated to {organisation} already."
            )
    if report.status not in TRANSITIONS["disseminate"][0] | {ProcessingStatus.DISSEMINATED}:
        errors["status"] = [
            f"A report that is {report.get_status_display().lower()} cannot be disseminated."
        ]
    if errors:
        raise ValidationError(errors)
    made = []
    with transaction.atomic():
        report = IntelligenceReport.objects.select_for_update().get(pk=report.pk)
        for organisation in organisations:
            made.append(
                Dissemination.objects.create(
                    report=report,
                    organisation=organisation,
                    disseminated_by=user,
                    purpose=purpose.strip(),
                )
            )
            report.shared_with.add(organisation)
            audit.record(
                AuditAction.DISCLOSE,
                report,
                user=user,
                reason=purpose.strip(),
                changes={
                    "to": organisation.name,
                    "organisation": organisation.pk,
                    "handling_code": report.handling_code,
                    "conditions": report.handling_conditions,
                },
            )
        if report.status != ProcessingStatus.DISSEMINATED:
            transition(user, report, "disseminate", TRANSITIONS, processed_at=timezone.now())
    return made


# --- Processing ----------------------------------------------------------------------------------


def move(user, record, name: str, *, reason: str = ""):
    """Apply a processing transition (start research, return to the queue, action, file)."""
    if name not in TRANSITIONS or name == "disseminate":
        raise ValidationError({"transition": [f"'{name}' is not a processing step here."]})
    _require_processor(user, record)
    model = type(record)
    with transaction.atomic():
        record = model.objects.select_for_update().get(pk=record.pk)
        extra = {}
        target = TRANSITIONS[name][1]
        if target in PROCESSED:
            extra["processed_at"] = timezone.now()
        if name == "start_research" and record.assigned_to_id is None:
            extra |= {"assigned_to": user, "assigned_at": timezone.now()}
        if name == "return_to_queue":
            extra |= {"assigned_to": None, "assigned_at": None}
        if name == "file" and not is_enough(reason):
            raise ValidationError({"reason": ["Say why it is filed (at least 5 characters)."]})
        transition(user, record, name, TRANSITIONS, reason=reason, **extra)
    return record


def researchers_of(organisation_ids):
    """Active members of these organisations' intelligence units (who records may go to)."""
    today = timezone.localdate()
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__organisation_id__in=list(organisation_ids),
            memberships__role=Role.RESEARCHER,
            memberships__valid_from__lte=today,
        )
        .filter(Q(memberships__valid_to__isnull=True) | Q(memberships__valid_to__gte=today))
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def eligible_assignees(record):
    """Who a record may be assigned to: the owner's intelligence unit (active members)."""
    return researchers_of([record.owner_id])


def _triage_one(user, record, *, priority=None, assignee=None, unassign=False) -> dict:
    _require_processor(user, record)
    if record.status not in WAITING:
        raise ValidationError(
            {"status": [f"{record} is {record.get_status_display().lower()}: not in the queue."]}
        )
    values, changes = {}, {}
    now = timezone.now()
    if priority is not None:
        if priority not in Priority.values:
            raise ValidationError({"priority": [f"'{priority}' is not a priority."]})
        if record.priority != priority or record.triaged_at is None:
            changes["priority"] = {"before": record.priority, "after": priority}
            values |= {"priority": priority, "triaged_at": now, "triaged_by_id": user.pk}
    if assignee is not None:
        if not eligible_assignees(record).filter(pk=assignee.pk).exists():
            raise ValidationError(
                {"assignee": [f"{assignee} is not in {record.owner}'s intelligence unit."]}
            )
        if record.assigned_to_id != assignee.pk:
            changes["assigned_to"] = {"before": record.assigned_to_id, "after": assignee.pk}
            values |= {"assigned_to_id": assignee.pk, "assigned_at": now}
    elif unassign and record.assigned_to_id is not None:
        changes["assigned_to"] = {"before": record.assigned_to_id, "after": None}
        values |= {"assigned_to_id": None, "assigned_at": None}
    if changes:
        values |= {"updated_at": now, "lock_version": F("lock_version") + 1}
        type(record).objects.filter(pk=record.pk).update(**values)
        audit.record(AuditAction.UPDATE, record, user=user, changes=changes)
    return changes


def triage(user, records, *, priority=None, assignee=None, unassign=False) -> int:
    """Set the priority of, or assign, one or many queued records (bulk triage), all or nothing.
    Returns how many changed."""
    records = list(records)
    if not records:
        raise ValidationError({"records": ["Select at least one."]})
    if priority is None and assignee is None and not unassign:
        raise ValidationError({"priority": ["Choose a priority or a person to assign to."]})
    changed = 0
    with transaction.atomic():
        for record in records:
            locked = type(record).objects.select_for_update().get(pk=record.pk)
            if _triage_one(user, locked, priority=priority, assignee=assignee, unassign=unassign):
                changed += 1
    return changed


def claim(user, record) -> bool:
    """Assign ``record`` to oneself."""
    return bool(triage(user, [record], assignee=user))


def set_researchers(user, report: IntelligenceReport, researchers) -> dict:
    """Name the researchers (beyond the intelligence unit) who may read the original."""
    _require_processor(user, report)
    researchers = list(researchers)
    for person in researchers:
        if not policy.can(person, Action.VIEW, report):
            raise ValidationError({"researchers": [f"{person} may not see this report."]})
    with transaction.atomic():
        report = IntelligenceReport.objects.select_for_update().get(pk=report.pk)
        return audited_update(user, report, {}, m2m={"researchers": researchers})


def link_report(user, report: IntelligenceReport, *, threats=None, subjects=None) -> None:
    """Replace the threats a report mentions, or add subjects (people), and rescore it."""
    _require_processor(user, report)
    errors = _subject_errors([dict(s) for s in subjects or []], user)
    for threat in threats or []:
        if not policy.can(user, Action.VIEW, threat):
            errors.setdefault("threats", []).append("No such threat.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        report = IntelligenceReport.objects.select_for_update().get(pk=report.pk)
        changes = {}
        if threats is not None:
            before = sorted(report.threats.values_list("reference", flat=True))
            report.threats.set(threats)
            after = sorted(t.reference for t in threats)
            if before != after:
                changes["threats"] = {"before": before, "after": after}
        for subject in subjects or []:
            made = ReportSubject.objects.create(report=report, **subject)
            changes.setdefault("subjects_added", []).append(str(made))
        if changes:
            _rescore(report)
            audit.record(AuditAction.UPDATE, report, user=user, changes=changes)


# --- SARs ----------------------------------------------------------------------------------------


def sar_clock(
    sar: SuspiciousActivityReport, today: dt.date | None = None
) -> clock.DamlClock | None:
    """The DAML clock of a DAML SAR (None for other types)."""
    if not sar.is_daml:
        return None
    refused = sar.consent_decided_on if sar.consent_decision == ConsentDecision.REFUSED else None
    extension_days = sum(e.days for e in sar.extensions.all())
    return clock.daml_clock(
        sar.submitted_on,
        today or timezone.localdate(),
        refused_on=refused,
        extension_days=extension_days,
    )


def record_consent(user, sar: SuspiciousActivityReport, decision: str, *, on: dt.date, reason=""):
    """Record the decision on a DAML SAR's consent request. A refusal must fall within the notice
    period; it starts the moratorium."""
    _require_processor(user, sar)
    errors = {}
    if not sar.is_daml:
        errors["consent_decision"] = ["Only a DAML SAR asks for consent."]
    elif decision not in (ConsentDecision.GRANTED, ConsentDecision.REFUSED):
        errors["consent_decision"] = ["Choose consent granted or consent refused."]
    elif sar.consent_decision not in ("", ConsentDecision.PENDING):
        errors["consent_decision"] = [
            f"The decision is recorded already ({sar.get_consent_decision_display().lower()})."
        ]
    if on is None:
        errors["consent_decided_on"] = ["Enter the date of the decision."]
    elif not errors:
        if on < sar.submitted_on:
            errors["consent_decided_on"] = ["The decision cannot be before the SAR was made."]
        elif on > timezone.localdate():
            errors["consent_decided_on"] = ["The decision date cannot be in the future."]
        elif decision == ConsentDecision.REFUSED and on > clock.notice_period_end(sar.submitted_on):
            errors["consent_decided_on"] = [
                "Consent can be refused only within the notice period, which ended on "
                f"{clock.notice_period_end(sar.submitted_on):%-d %B %Y}: consent is deemed given."
            ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        sar = SuspiciousActivityReport.objects.select_for_update().get(pk=sar.pk)
        before = sar.consent_decision
        SuspiciousActivityReport.objects.filter(pk=sar.pk).update(
            consent_decision=decision,
            consent_decided_on=on,
            updated_at=timezone.now(),
            lock_version=F("lock_version") + 1,
        )
        sar.refresh_from_db()
        audit.record(
            AuditAction.UPDATE,
            sar,
            user=user,
            reason=reason,
            changes={
                "consent_decision": {"before": before, "after": decision},
                "consent_decided_on": on.isoformat(),
            },
        )
    return sar


def extend_moratorium(
    user,
    sar: SuspiciousActivityReport,
    *,
    granted_on: dt.date,
    days: int,
    court: str,
    order_reference: str = "",
) -> MoratoriumExtension:
    """Record a court's extension of a refused DAML SAR's moratorium."""
    _require_processor(user, sar)
    errors: dict[str, list[str]] = {}
    if sar.consent_decision != ConsentDecision.REFUSED:
        errors["sar"] = ["Only a moratorium (consent refused) can be extended."]
    already = sum(e.days for e in sar.extensions.all())
    problem = clock.check_extension(days or 0, already)
    if problem:
        errors["days"] = [problem]
    if not (court or "").strip():
        errors["court"] = ["Enter the court that granted the extension."]
    if granted_on is None:
        errors["granted_on"] = ["Enter the date of the order."]
    elif not errors:
        running_to = clock.moratorium_end(sar.consent_decided_on, already)
        if granted_on > running_to:
            errors["granted_on"] = [
                f"The moratorium ended on {running_to:%-d %B %Y}: an order after it cannot extend it."
            ]
        elif granted_on < sar.consent_decided_on:
            errors["granted_on"] = ["The order cannot be before consent was refused."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        extension = MoratoriumExtension.objects.create(
            sar=sar,
            granted_on=granted_on,
            days=days,
            court=court.strip(),
            order_reference=(order_reference or "").strip(),
            recorded_by=user,
        )
        audit.record(
            AuditAction.UPDATE,
            sar,
            user=user,
            changes={
                "moratorium_extended": {
                    "days": days,
                    "granted_on": granted_on.isoformat(),
                    "court": court.strip(),
                    "total_extension_days": already + days,
                }
            },
        )
    return extension


def set_screening(user, sar: SuspiciousActivityReport, status: str) -> None:
    """Record the outcome of screening a SAR's subjects against the master list (the linkage
    engine calls this; ``user`` None for a background run)."""
    if status not in ScreeningStatus.values:
        raise ValidationError({"screening_status": [f"'{status}' is not a screening status."]})
    if user is not None:
        require(user, Action.CHANGE, sar)
    with transaction.atomic():
        before = sar.screening_status
        if before == status:
            return
        SuspiciousActivityReport.objects.filter(pk=sar.pk).update(
            screening_status=status, screened_at=timezone.now()
        )
        sar.screening_status = status
        _rescore(sar)
        audit.record(
            AuditAction.UPDATE,
            sar,
            user=user,
            changes={"screening_status": {"before": before, "after": status}},
        )


def set_screening_many(outcomes: dict[int, str], *, batch: int = 2000) -> int:
    """Record the outcomes of a screening run (no user: a background run) for many SARs at
    once, ``{sar pk: status}``: the status, its time and the queue score in bulk, and one audit
    entry per SAR whose status changed, written in one go. Call inside the run's transaction.
    Returns how many SARs changed."""
    unknown = sorted(set(outcomes.values()) - set(ScreeningStatus.values))
    if unknown:
        raise ValidationError({"screening_status": [f"'{unknown[0]}' is not a screening status."]})
    now, today = timezone.now(), timezone.localdate()
    ids, changed = sorted(outcomes), 0
    for start in range(0, len(ids), batch):
        rows, updated = [], []
        for sar in SuspiciousActivityReport.objects.filter(pk__in=ids[start : start + batch]):
            status = outcomes[sar.pk]
            if sar.screening_status == status:
                continue
            before = sar.screening_status
            sar.screening_status, sar.screened_at = status, now
            sar.risk_base = risk.total(sar_factors(sar))
            sar.queue_score, sar.scored_on = queue_score(sar, today), today
            updated.append(sar)
            rows.append(
                {
                    "record_type": audit.record_type_of(SuspiciousActivityReport),
                    "record_id": str(sar.pk),
                    "record_repr": str(sar),
                    "record_owner_id": sar.owner_id,
                    "record_compartment_id": sar.compartment_id,
                    "changes": {"screening_status": {"before": before, "after": status}},
                }
            )
        SuspiciousActivityReport.objects.bulk_update(
            updated,
            ["screening_status", "screened_at", "risk_base", "queue_score", "scored_on"],
            batch_size=500,
        )
        audit.record_rows(AuditAction.UPDATE, rows)
        changed += len(updated)
    return changed


# --- Queues --------------------------------------------------------------------------------------


def service_levels() -> dict[str, int]:
    """Days a record may wait at each priority (``SOCMASTER["INTEL_SERVICE_LEVEL_DAYS"]``)."""
    levels = dict(DEFAULT_SERVICE_LEVEL_DAYS)
    raw = settings.SOCMASTER.get("INTEL_SERVICE_LEVEL_DAYS", "")
    for part in str(raw).split(","):
        name, _, days = part.partition("=")
        if name.strip() in Priority.values and days.strip().isdigit():
            levels[name.strip()] = int(days)
    return levels


def high_risk() -> int:
    return int(settings.SOCMASTER.get("INTEL_HIGH_RISK", 60))


def _age_expression(today: dt.date):
    """Points for time waiting, from the date received (a database expression)."""
    whens = [
        When(submitted_on__lte=today - dt.timedelta(days=days), then=Value(points))
        for days, points in risk.AGE_BANDS
    ]
    return Case(*whens, default=Value(0), output_field=IntegerField())


def overdue_q(today: dt.date | None = None) -> Q:
    """Records waiting longer than their priority's service level."""
    today = today or timezone.localdate()
    q = Q()
    for priority, days in service_levels().items():
        q |= Q(priority=priority, submitted_on__lt=today - dt.timedelta(days=days))
    return Q(status__in=WAITING) & q


def untriaged_high_risk_q(today: dt.date | None = None) -> Q:
    """High-risk records still waiting for anyone to triage them."""
    today = today or timezone.localdate()
    return Q(status=ProcessingStatus.AWAITING, triaged_at__isnull=True) & Q(
        risk_base__gte=high_risk()
    )


def queue(user, model=IntelligenceReport, *, today: dt.date | None = None) -> QuerySet:
    """The records waiting to be processed that ``user`` may see, riskiest first, then oldest.

    Each carries ``risk`` (its score today) and ``age_points``. In the SAR queue, DAML and then
    vulnerability SARs come first, whatever their score."""
    return ordered_queue(model.objects.visible_to(user), today=today)


def _queued(queryset: QuerySet) -> QuerySet:
    """The waiting records of ``queryset``, with the states written into the SQL as constants
    (not bound parameters), so that the database can prove the query matches the queue's partial
    index and read it in index order; the constants are this module's own, never input."""
    table = connection.ops.quote_name(queryset.model._meta.db_table)
    states = ", ".join(f"'{state}'" for state in QUEUED)
    return queryset.extra(where=[f'{table}."status" IN ({states})'])  # noqa: S610


def ordered_queue(queryset: QuerySet, *, today: dt.date | None = None) -> QuerySet:
    """The waiting records of ``queryset`` in queue order, with ``risk`` (today's score) and
    ``age_points`` (``queue`` for a user; the command line's operator gives the records it may
    list). Read in the order of the queue's partial index, after the day's scores are brought
    up to date."""
    model = queryset.model
    today = today or timezone.localdate()
    refresh_queue_scores(model, today)
    return (
        _queued(queryset)
        .annotate(age_points=_age_expression(today))
        .annotate(risk=F("risk_base") + F("age_points"))
        .order_by("-queue_score", "submitted_on", "id")
    )


def waiting_days(record, today: dt.date | None = None) -> int:
    return ((today or timezone.localdate()) - record.submitted_on).days


def is_overdue(record, today: dt.date | None = None) -> bool:
    return record.status in WAITING and waiting_days(record, today) > service_levels().get(
        record.priority, 14
    )


# --- Lookups for forms and imports ---------------------------------------------------------------


def nominal_by_reference(user, reference: str) -> Nominal:
    try:
        return Nominal.objects.visible_to(user).get(reference=reference)
    except Nominal.DoesNotExist:
        raise ValidationError({"nominal": ["No such nominal."]}) from None


def nominals_by_phone(user, phone: str):
    """Nominals the user may see with this phone number (for linking a mention)."""
    normalised = "".join(ch for ch in phone if ch.isdigit())
    ids = Identifier.objects.filter(kind="phone", normalised=normalised).values("nominal_id")
    return Nominal.objects.visible_to(user).filter(pk__in=ids)
