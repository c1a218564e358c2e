"""Recording and moderating disruptions. Every function checks the rules, writes in one
transaction and records one audit entry; only approved disruptions count in any figure (a support
record only while its lead is approved)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from socmaster.core import audit, policy
from socmaster.core.choices import Action, AuditAction
from socmaster.core.references import next_reference
from socmaster.core.services import (
    audited_update,
    m2m_snapshot,
    refuse_unknown,
    undo_import_write,
)
from socmaster.core.validators import check_reference, check_text
from socmaster.core.workflow import transition
from socmaster.organisations.choices import Role
from socmaster.threats.choices import ThreatType
from socmaster.threats.models import Nominal, Threat

from . import wording
from .choices import TRANSITIONS, DisruptionStatus, DisruptionType
from .models import Disruption, Standard

FIELDS = (
    "event_date",
    "record_date",
    "team",
    "disruption_type",
    "lead",
    "four_p",
    "category",
    "tactic",
    "narrative",
    "evidence",
)
FIELD_LABELS = {
    "tactic": "tactic",
    "narrative": "narrative",
    "evidence": "evidence references",
    "team": "team",
}


def current_standard() -> Standard:
    standard = Standard.objects.filter(is_current=True).order_by("-effective_from").first()
    if standard is None:
        raise ValidationError({"standard": ["No minimum standard is loaded."]})
    return standard


def standard_failures(
    values: dict, threat: Threat, standard: Standard, *, not_carried=(), history: bool = False
) -> dict[str, list[str]]:
    """Every way ``values`` fall short of ``standard``, field by field (empty when compliant).

    ``not_carried``: fields an imported record's source did not give (its narrative or evidence):
    the standard's required-field rule is not applied to them here (the recording audit reports
    them); every other rule is. ``history``: the record is history brought in from a force's own
    systems, so the time allowed to record it is not a reason to refuse it (it was recorded late,
    which is a fact to report, not to lose: the recording audit lists it as late)."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if threat.threat_type not in standard.allowed_threat_types:
        allowed = ", ".join(
            ThreatType(t).label.lower() + "s" for t in standard.allowed_threat_types
        )
        add(
            "threat",
            f"Under {standard.label}, disruptions can be recorded only against {allowed}; "
            f"{threat.reference} is a {threat.get_threat_type_display().lower()}.",
        )
    for name in standard.required_fields:
        if name in not_carried:
            continue
        value = values.get(name)
        if value in (None, "") or (isinstance(value, str) and not value.strip()):
            add(name, f"The minimum standard requires the {FIELD_LABELS.get(name, name)}.")
    text = (
        " ".join(str(values.get(k) or "") for k in ("narrative", "team"))
        + " "
        + str(getattr(values.get("tactic"), "label", "") or "")
    )
    for rule in standard.excluded_activities:
        found = wording.matches(rule, text)
        if found:
            message = rule.get("message") or f"'{rule['phrase']}' is not a SOC disruption."
            if found != rule.get("phrase"):
                message += f" (found: '{found}')"
            add("narrative", message)
    event, recorded = values.get("event_date"), values.get("record_date")
    late = event and recorded and (recorded - event).days > standard.max_days_to_record
    if late and not history:
        add(
            "record_date",
            f"Recorded {(recorded - event).days} days after the event; the standard allows "
            f"{standard.max_days_to_record}.",
        )
    return errors


def _validate(values: dict, threat: Threat, standard: Standard, **options) -> None:
    errors = recording_problems(values, threat, standard, **options)
    if errors:
        raise ValidationError(errors)


def recording_problems(
    values: dict,
    threat: Threat,
    standard: Standard,
    *,
    not_carried=(),
    with_lead: bool = True,
    history: bool = False,
) -> dict[str, list[str]]:
    """The minimum standard and the other recording rules, field by field: what a record entered
    by hand and an imported one must both meet. ``with_lead`` False leaves out the rules about
    the lead record (an importer checking its rows before the leads of the file exist)."""
    errors = standard_failures(values, threat, standard, not_carried=not_carried, history=history)

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    event, recorded = values.get("event_date"), values.get("record_date")
    today = timezone.localdate()
    if event is None:
        add("event_date", "Give the date of the event.")
    elif event > today:
        add("event_date", "The event cannot be in the future.")
    if recorded and event and recorded < event:
        add("record_date", "The record date cannot be before the event.")
    tactic = values.get("tactic")
    if tactic is not None and values.get("four_p") and tactic.four_p != values["four_p"]:
        add(
            "tactic",
            f"{tactic.label} is a {tactic.get_four_p_display()} tactic, not "
            f"{values['four_p'].capitalize()}.",
        )
    organisation = values.get("recording_organisation")
    if (
        organisation is not None
        and organisation.is_partner
        and values.get("disruption_type") != DisruptionType.SUPPORT
    ):
        add("disruption_type", "Partner organisations record support disruptions only.")
    lead = values.get("lead")
    if not with_lead:
        pass
    elif values.get("disruption_type") == DisruptionType.SUPPORT:
        if lead is None:
            add("lead", "A support record must name the lead record it supports.")
        elif lead.threat_id != threat.pk or lead.disruption_type != DisruptionType.LEAD:
            add("lead", "Choose a lead disruption recorded against the same threat.")
    elif lead is not None:
        add("lead", "A lead record does not support another record.")
    return errors


def problems(
    threat: Threat, values: dict, *, standard: Standard | None = None, disruption=None
) -> dict[str, list[str]]:
    """Every way ``values`` would be refused (the minimum standard and the other recording rules),
    field by field, without writing anything: so a form can show them all in one pass together
    with its own errors. ``disruption``: the record being changed (its stored values fill in
    what ``values`` lacks)."""
    if disruption is not None:
        values = {name: getattr(disruption, name) for name in FIELDS} | values
        values.setdefault("recording_organisation", disruption.recording_organisation)
        standard = standard or disruption.standard
    try:
        _validate(values, threat, standard or current_standard())
    except ValidationError as exc:
        return exc.message_dict
    return {}


def may_record(user, threat: Threat, organisation, disruption_type: str) -> bool:
    """Police staff with a working role record lead or support disruptions on threats they may see;
    partner users record support disruptions on threats shared with their organisation."""
    if policy.is_read_only(user) or not policy.can(user, Action.VIEW, threat):
        return False
    roles = user.roles_in(organisation.pk)
    if organisation.is_partner:
        shared = threat.shared_with.filter(pk=organisation.pk).exists()
        return bool(roles) and shared and disruption_type == DisruptionType.SUPPORT
    return bool(roles & policy.WRITE_ROLES)


def may_moderate(user, disruption: Disruption) -> bool:
    """A moderator of the owning region who neither recorded it nor changed it."""
    if policy.is_read_only(user) or disruption.recorder_id == user.pk:
        return False
    if user.pk in audit.editors_of(disruption):
        return False
    if not policy.can(user, Action.VIEW, disruption.threat):
        return False
    region = disruption.threat.owner.region_id
    return region is not None and any(
        m.role == Role.MODERATOR and m.organisation.region_id == region
        for m in user.active_memberships
    )


def moderation_queue(user):
    """Submitted disruptions ``user`` may moderate (exactly those :func:`may_moderate` allows),
    longest waiting first, as one queryset: the queue page and the home page's count."""
    regions = {
        m.organisation.region_id
        for m in user.active_memberships
        if m.role == Role.MODERATOR and m.organisation.region_id is not None
    }
    if policy.is_read_only(user) or not regions:
        return Disruption.objects.none()
    queue = (
        Disruption.objects.visible_to(user)
        .filter(status=DisruptionStatus.SUBMITTED, threat__owner__region_id__in=regions)
        .exclude(recorder_id=user.pk)
    )
    return audit.not_edited_by(queue, user).order_by("updated_at", "pk")


def _next_reference() -> str:
    return next_reference("DIS", Disruption.objects.all())


@transaction.atomic
def record_disruption(
    user,
    threat: Threat,
    *,
    recording_organisation,
    nominals=(),
    reference: str = "",
    status: str = DisruptionStatus.DRAFT,
    **values,
) -> Disruption:
    """Record a draft disruption against ``threat`` for ``recording_organisation``."""
    if not policy.can(user, Action.VIEW, threat):
        raise Http404("No such record.")
    if recording_organisation.pk not in user.organisation_ids:
        raise ValidationError(
            {"recording_organisation": ["Record disruptions for your own organisation."]}
        )
    values.setdefault("record_date", timezone.localdate())
    values.setdefault("disruption_type", DisruptionType.LEAD)
    if not may_record(user, threat, recording_organisation, values["disruption_type"]):
        raise PermissionDenied(
            "Partners may record support disruptions on threats shared with them; "
            "police staff need a working role."
        )
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    standard = current_standard()
    errors: dict[str, list[str]] = {}
    try:
        _validate(values | {"recording_organisation": recording_organisation}, threat, standard)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:  # a field the standard already refuses (a team of only spaces and tabs) keeps that error
        check_text(Disruption, values)
        if (reference or "").strip():
            check_reference(reference.strip())
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, messages)
    if errors:
        raise ValidationError(errors)
    _check_nominals(user, nominals)
    disruption = Disruption.objects.create(
        reference=(reference or "").strip() or _next_reference(),
        threat=threat,
        standard=standard,
        recording_organisation=recording_organisation,
        recorder=user,
        status=status,
        **values,
    )
    disruption.nominals.set(nominals)
    audit.record(
        AuditAction.CREATE, disruption, user=user, changes={"after": audit.snapshot(disruption)}
    )
    return disruption


RECORD_TYPE = "disruptions.disruption"

# --- History imports -------------------------------------------------------------------------
#
# Disruption records brought in from a force's own systems (``disruptions.importer``). They meet
# the rules of a record entered by hand (``recording_problems``; narrative and evidence where the
# file gives them) and the rules of history below, keep the file's dates as their own, and are
# marked as imported (``core.models.Imported``). A record entered in socmaster is never changed by
# an import. Each write returns what ``threats.journal`` needs to undo it.

#: The states a record has been moderated in (so it may carry a moderator's name and date).
MODERATED = (DisruptionStatus.APPROVED, DisruptionStatus.RETURNED, DisruptionStatus.REJECTED)


#: Related records an importer resolves itself (so they are not looked up again row by row).
_RESOLVED = ("threat", "standard", "recorder", "recording_organisation", "tactic", "lead")


def at_noon(day: dt.date | None) -> dt.datetime | None:
    """A date from a file as a time: noon in Europe/London (kept in UTC), so that it shows as
    the same day wherever the clocks stand."""
    if day is None:
        return None
    local = dt.datetime.combine(day, dt.time(12), tzinfo=timezone.get_default_timezone())
    return local.astimezone(dt.UTC)


def history_problems(values: dict) -> dict[str, list[str]]:
    """The rules of an imported record's own dates and decision, field by field: no date in the
    future, none entered before the event nor moderated before it was entered, and a moderator's
    name or date only on a record that was moderated."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    today = timezone.localdate()
    event = values.get("event_date")
    entered = timezone.localdate(values["created_at"]) if values.get("created_at") else None
    decided = values.get("outside_decision_on")
    if values.get("record_date") and values["record_date"] > today:
        add("record_date", "The record date cannot be in the future.")
    if entered is not None:
        if entered > today:
            add("created_at", "The day it was entered cannot be in the future.")
        elif event and entered < event:
            add("created_at", "A record cannot have been entered before the event.")
    if decided is not None:
        if decided > today:
            add("outside_decision_on", "The day it was moderated cannot be in the future.")
        elif entered is not None and decided < entered:
            add("outside_decision_on", "A record cannot have been moderated before it was entered.")
        elif event and decided < event:
            add("outside_decision_on", "A record cannot have been moderated before the event.")
    status = values.get("status")
    if status and status not in MODERATED:
        label = DisruptionStatus(status).label.lower()
        for name in ("outside_decision_by", "outside_decision_on"):
            if values.get(name):
                add(name, f"A {label} record has not been moderated: leave this blank.")
    return errors


def import_problems(values: dict, threat: Threat, standard: Standard, *, not_carried=()) -> dict:
    """Everything an importer can check in one row before any is written (all but the lead)."""
    errors = recording_problems(
        values, threat, standard, not_carried=not_carried, with_lead=False, history=True
    )
    for name, messages in history_problems(values).items():
        errors.setdefault(name, []).extend(messages)
    return errors


def may_import(user, threat: Threat) -> bool:
    """A person importing history must be allowed to change the threat (an operator at the
    command line, ``user`` None, may import any)."""
    return user is None or policy.can(user, Action.CHANGE, threat)


@transaction.atomic
def import_disruption(
    recorder,
    *,
    reference: str,
    standard: Standard,
    fields: dict,
    nominals=None,
    source: str = "",
    user=None,
    not_carried=(),
) -> tuple[str, tuple[int, dict | None] | None]:
    """Create or update one imported disruption record (keyed by its reference), recorded under
    ``recorder`` (the recording organisation's import account) and audited under ``user`` (the
    person importing; the account when an operator imports). ``fields`` are checked as a record
    entered by hand is (``recording_problems``, except the required narrative or evidence the
    source did not carry, ``not_carried``) and by the rules of history (``history_problems``).
    ``nominals`` None leaves the linked nominals alone.

    Returns the outcome ('created', 'updated', 'unchanged') and what undoes it: (id, None) for a
    new record, (id, before-image) for a changed one, None when nothing changed."""
    actor = user or recorder
    source = (source or "import")[:300]
    threat = fields["threat"]
    if not may_import(user, threat):
        raise ValidationError({"threat": [f"No threat {threat.reference} on the master list."]})
    errors = recording_problems(fields, threat, standard, not_carried=not_carried, history=True)
    for name, messages in history_problems(fields).items():
        errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    check_text(Disruption, fields)
    existing = Disruption.objects.select_for_update().filter(reference=reference).first()
    if existing is None:
        now = timezone.now()
        values = {"created_at": now, **fields}  # no "Entered on": the time of the import
        disruption = Disruption(
            reference=reference,
            standard=standard,
            recorder=recorder,
            import_source=source,
            imported_at=now,
            **values,
        )
        # The related records were resolved by the importer; the rest is checked as stored.
        disruption.full_clean(exclude=[*_RESOLVED, "nominals"], validate_unique=False)
        disruption.save()
        if nominals:
            disruption.nominals.set(nominals)
        after = audit.snapshot(disruption) | m2m_snapshot(disruption, "nominals")
        audit.record(
            AuditAction.CREATE,
            disruption,
            user=actor,
            changes={"after": after, "import_source": source},
        )
        return "created", (disruption.pk, None)
    if not existing.import_source:
        raise ValidationError(
            {
                "reference": [
                    f"{reference} was recorded in socmaster, not imported: an import does not "
                    "change it."
                ]
            }
        )
    # Where and when it was first imported stay: the audit entry names this import's source.
    before = audit.snapshot(existing) | m2m_snapshot(existing, "nominals")
    for name, value in fields.items():
        setattr(existing, name, value)
    existing.full_clean(exclude=[*_RESOLVED, "nominals"])
    after = audit.snapshot(existing) | {
        "nominals": sorted(n.pk for n in nominals) if nominals is not None else before["nominals"]
    }
    changes = audit.diff(before, after)
    if not changes:
        return "unchanged", None
    existing.updated_at = timezone.now()
    existing.lock_version += 1
    existing.save()
    if nominals is not None:
        existing.nominals.set(nominals)
    audit.record(
        AuditAction.UPDATE, existing, user=actor, changes={**changes, "import_source": source}
    )
    return "updated", (existing.pk, before)


@transaction.atomic
def undo_import_change(job, undo) -> None:
    """Put back one disruption record as it was before an import that did not finish."""
    undo_import_write(
        Disruption,
        undo.record_id,
        undo.before,
        user=job.created_by,
        reason=f"Import {job.pk} ({job.source_name}) did not finish; its change is undone.",
        m2m=("nominals",),
    )
    undo.delete()


def may_change(user, disruption: Disruption) -> bool:
    """The recorder, or someone who may change the threat, changes or submits a disruption."""
    if policy.is_read_only(user) or not policy.can(user, Action.VIEW, disruption):
        return False
    return disruption.recorder_id == user.pk or policy.can(user, Action.CHANGE, disruption.threat)


def _check_nominals(user, nominals) -> None:
    """Only nominals the user may see can be linked (one answer for hidden and missing)."""
    visible = set(
        Nominal.objects.visible_to(user)
        .filter(pk__in=[n.pk for n in nominals])
        .values_list("pk", flat=True)
    )
    if any(n.pk not in visible for n in nominals):
        raise ValidationError({"nominals": ["No such nominal."]})


@transaction.atomic
def update_disruption(
    user, disruption: Disruption, *, nominals=None, expected_version=None, **values
) -> Disruption:
    disruption = (
        Disruption.objects.select_for_update().select_related("threat").get(pk=disruption.pk)
    )
    if not may_change(user, disruption):
        raise PermissionDenied(
            "Only the recorder or the threat's owners may change this disruption."
        )
    if not disruption.is_editable:
        raise ValidationError(
            {
                "status": [
                    f"A {disruption.get_status_display().lower()} disruption cannot be changed."
                ]
            }
        )
    refuse_unknown(values, FIELDS)
    if nominals is not None:
        _check_nominals(user, nominals)
    merged = {name: values.get(name, getattr(disruption, name)) for name in FIELDS}
    merged["recording_organisation"] = disruption.recording_organisation
    _validate(merged, disruption.threat, disruption.standard)
    audited_update(
        user, disruption, values, m2m={"nominals": nominals}, expected_version=expected_version
    )
    return disruption


def _locked(disruption: Disruption) -> Disruption:
    return (
        Disruption.objects.select_for_update()
        .select_related("threat", "threat__owner")
        .get(pk=disruption.pk)
    )


@transaction.atomic
def submit_disruption(user, disruption: Disruption) -> Disruption:
    disruption = _locked(disruption)
    if not may_change(user, disruption):
        raise PermissionDenied(
            "Only the recorder or the threat's owners may submit this disruption."
        )
    return transition(user, disruption, "submit", TRANSITIONS)


@transaction.atomic
def moderate_disruption(
    user, disruption: Disruption, decision: str, reason: str = ""
) -> Disruption:
    """``decision`` is approve, return or reject; returning and rejecting need a reason."""
    if decision not in ("approve", "return", "reject"):
        raise ValidationError({"decision": ["Choose approve, return or reject."]})
    disruption = _locked(disruption)
    if not may_moderate(user, disruption):
        raise PermissionDenied(
            "Moderation needs a moderator of the owning region who did not record it."
        )
    if decision != "approve" and not (reason or "").strip():
        raise ValidationError({"reason": [f"Say why the disruption is being {decision}ed."]})
    return transition(
        user,
        disruption,
        decision,
        TRANSITIONS,
        reason=(reason or "").strip(),
        moderator=user,
        moderated_at=timezone.now(),
        decision_reason=(reason or "").strip(),
    )


def counting_note(disruption: Disruption) -> str:
    """What a moderation decision on ``disruption`` did to the figures, in a sentence (empty when
    nothing beyond the record itself): a support record counts only while its lead is approved,
    so deciding on a lead re-checks its approved support records."""
    disruption = Disruption.objects.select_related("lead").get(pk=disruption.pk)
    approved = DisruptionStatus.APPROVED
    if disruption.disruption_type == DisruptionType.SUPPORT:
        lead = disruption.lead
        if disruption.status == approved and (lead is None or lead.status != approved):
            return (
                f"It counts once its lead {lead.reference} is approved."
                if lead is not None
                else "It has no lead record, so it does not count."
            )
        return ""
    supports = list(
        disruption.supports.filter(status=approved)
        .order_by("reference")
        .values_list("reference", flat=True)
    )
    if not supports:
        return ""
    names = ", ".join(supports)
    if len(supports) == 1:
        records, counts, flagged = f"Its approved support record {names}", "counts", "is"
    else:
        records, counts, flagged = f"Its approved support records {names}", "count", "are"
    if disruption.status == approved:
        return f"{records} now {counts} too."
    return (
        f"{records} no longer {counts} until it is approved, and {flagged} flagged on the "
        "exceptions report."
    )
