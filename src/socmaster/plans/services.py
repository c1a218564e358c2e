"""Writing 4P plans, their actions and reviews. Every function checks the rules, writes in one
transaction and records one audit entry. Changes are timed, dated and attributed automatically."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.http import Http404
from django.utils import timezone

from socmaster.core import audit, policy
from socmaster.core.choices import Action, AuditAction
from socmaster.core.models import AuditEntry
from socmaster.core.services import check_version, m2m_snapshot, undo_import_write
from socmaster.core.validators import check_text
from socmaster.organisations.choices import Role
from socmaster.organisations.models import Organisation, User
from socmaster.threats.models import Threat

from . import fingerprint
from .choices import (
    ActionStatus,
    AuthorRole,
    FourP,
    PartnerSection,
    PlanStatus,
    ReviewerRole,
    ReviewOutcome,
)
from .models import OBJECTIVE_FIELDS, Plan, PlanAction, PlanReview, PlanTemplate, PlanTextBand

PLAN_FIELDS = (
    "aim",
    *OBJECTIVE_FIELDS.values(),
    "intelligence_gaps",
    "safeguarding_plans",
    "investigation_plans",
    "review_frequency_days",
    "partner_sections",
)
ACTION_FIELDS = (
    "four_p",
    "description",
    "owner_user",
    "owner_organisation",
    "start_date",
    "due_date",
    "status",
    "result",
)
#: What the holder of an action (a partner, say) may change on it; the rest is the plan owner's.
ASSIGNEE_FIELDS = ("status", "result", "start_date")
REVIEW_FIELDS = ("reviewed_on", "outcome", "comments")
TEMPLATE_FIELDS = ("name", "aim", *OBJECTIVE_FIELDS.values(), "suggested_actions")
MIN_REVIEW_DAYS, MAX_REVIEW_DAYS = 7, 365
#: Fields the services set themselves, left out of full_clean (which checks the rest before saving).
PLAN_CLEAN_EXCLUDE = [
    "threat",
    "author",
    "template",
    "updated_by",
    "text_signature",
    "partner_sections",
    "template_lines",
]
ACTION_CLEAN_EXCLUDE = ["plan", "created_by", "updated_by", "carried_from", "disruptions"]


def setting(name: str):
    """A plan-quality threshold from settings.SOCMASTER (see README, Configuration)."""
    return settings.SOCMASTER[name]


# --- Who may do what ---------------------------------------------------------------------------


def has_full_view(user, plan: Plan) -> bool:
    """Sees the whole plan: anyone who may see its threat."""
    return policy.can(user, Action.VIEW, plan.threat)


def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def holds_action(user, plan: Plan) -> bool:
    return _active(user) and PlanAction.objects.assigned_to(user).filter(plan=plan).exists()


def may_view(user, plan: Plan) -> bool:
    return has_full_view(user, plan) or holds_action(user, plan)


def may_edit(user, plan: Plan) -> bool:
    """The plan is changed by those who may change its threat: the LRO and the owning organisation."""
    return plan.is_current and policy.can(user, Action.CHANGE, plan.threat)


def may_write_plan(user, threat: Threat) -> bool:
    return policy.can(user, Action.CHANGE, threat)


def action_rights(user, action: PlanAction) -> tuple[str, ...]:
    """The fields of ``action`` that ``user`` may change: all of them for the plan's owners, the
    assignee fields for the person or organisation holding the action, none otherwise."""
    if not _active(user) or policy.is_read_only(user) or not action.plan.is_current:
        return ()
    if may_edit(user, action.plan):
        return ACTION_FIELDS
    if action.owner_user_id == user.pk or action.owner_organisation_id in user.organisation_ids:
        return ASSIGNEE_FIELDS
    return ()


def reviewer_roles(user, plan: Plan) -> list[str]:
    """The capacities in which ``user`` may review ``plan`` (current or not), judged against its
    threat as it is today: as the threat's SRO, as a chief officer of the owning organisation;
    never as the threat's LRO or the plan's author."""
    threat = plan.threat
    if policy.is_read_only(user) or not has_full_view(user, plan):
        return []
    if user.pk in (threat.lro_id, plan.author_id):
        return []
    roles = []
    if threat.sro_id == user.pk:
        roles.append(ReviewerRole.SRO)
    if Role.CHIEF_OFFICER in user.roles_in(threat.owner_id):
        roles.append(ReviewerRole.CHIEF_OFFICER)
    return roles


def reviewer_role(user, plan: Plan) -> str | None:
    """Supervisors (the threat's SRO) and chief officers of the owning organisation review current
    plans; neither the LRO nor the plan's author reviews their own plan."""
    if not plan.is_current:
        return None
    return next(iter(reviewer_roles(user, plan)), None)


def may_edit_template(user, organisation) -> bool:
    return (
        bool(organisation)
        and not policy.is_read_only(user)
        and (user.is_superuser or Role.ADMINISTRATOR in user.roles_in(organisation.pk))
    )


def visible_partner_sections(user, plan: Plan) -> set[str]:
    """Every section for full viewers; what the LRO chose for those who only hold actions."""
    if has_full_view(user, plan):
        return set(PartnerSection.values)
    return set(plan.partner_sections or []) if holds_action(user, plan) else set()


def visible_actions(user, plan: Plan):
    """The plan's actions the user may see on it: all of them for full viewers and where the LRO
    shows holders other organisations' actions; otherwise only those the user holds."""
    actions = plan.actions.all()
    if PartnerSection.OTHER_ACTIONS not in visible_partner_sections(user, plan):
        actions = actions.assigned_to(user)
    return actions


# --- Templates -----------------------------------------------------------------------------------


def template_for(threat: Threat) -> PlanTemplate | None:
    """The owning organisation's template for the threat type, else the national one."""
    found = {
        t.organisation_id: t for t in PlanTemplate.objects.filter(threat_type=threat.threat_type)
    }
    return found.get(threat.owner_id) or found.get(None)


def initial_from_template(template: PlanTemplate | None) -> dict:
    if template is None:
        return {"review_frequency_days": setting("PLAN_REVIEW_DAYS")}
    return {
        "aim": template.aim,
        **{name: getattr(template, name) for name in OBJECTIVE_FIELDS.values()},
        "review_frequency_days": setting("PLAN_REVIEW_DAYS"),
    }


def template_texts(template: PlanTemplate | None) -> list[str]:
    """The template's text as it stands, kept on each plan written from it (for copy detection)."""
    if template is None:
        return []
    return [
        template.aim,
        *(getattr(template, n) for n in OBJECTIVE_FIELDS.values()),
        *(a.get("description", "") for a in template.suggested_actions or []),
    ]


def _validate_template(values: dict) -> None:
    errors: dict[str, list[str]] = {}
    if not (values.get("name") or "").strip():
        errors["name"] = ["Give the template a name."]
    actions = values.get("suggested_actions") or []
    if not isinstance(actions, list):
        errors["suggested_actions"] = ["Give a list of suggested actions."]
    else:
        for n, item in enumerate(actions, 1):
            if (
                not isinstance(item, dict)
                or item.get("four_p") not in FourP.values
                or not str(item.get("description", "")).strip()
            ):
                errors.setdefault("suggested_actions", []).append(
                    f"Suggested action {n}: give a P (pursue, prevent, protect or prepare) and a description."
                )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_template(user, *, organisation, threat_type: str, **values) -> PlanTemplate:
    """Create or change ``organisation``'s template for ``threat_type`` (its administrators only)."""
    if not may_edit_template(user, organisation):
        raise PermissionDenied(
            "Only the organisation's administrators may change its plan templates."
        )
    unknown = set(values) - set(TEMPLATE_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    check_text(PlanTemplate, values)
    template = (
        PlanTemplate.objects.select_for_update()
        .filter(organisation=organisation, threat_type=threat_type)
        .first()
    )
    before = audit.snapshot(template) if template else None
    template = template or PlanTemplate(organisation=organisation, threat_type=threat_type)
    merged = {name: values.get(name, getattr(template, name)) for name in TEMPLATE_FIELDS}
    _validate_template(merged)
    for name, value in values.items():
        setattr(template, name, value.strip() if isinstance(value, str) else value)
    if before is not None:
        unchanged = audit.diff(before, audit.snapshot(template))
        unchanged.pop("updated_at", None)
        if not unchanged:  # saved as it was: nothing is written, nothing is audited
            return template
    template.updated_at = timezone.now()
    template.full_clean(exclude=["organisation"])
    template.save()
    if before is None:
        audit.record(
            AuditAction.CREATE, template, user=user, changes={"after": audit.snapshot(template)}
        )
    else:
        audit.record(
            AuditAction.UPDATE,
            template,
            user=user,
            changes=audit.diff(before, audit.snapshot(template)),
        )
    return template


# --- Plans ---------------------------------------------------------------------------------------


#: Text fields where an absent value (None) means empty text.
_TEXT_FIELDS = {
    "aim",
    *OBJECTIVE_FIELDS.values(),
    "intelligence_gaps",
    "safeguarding_plans",
    "investigation_plans",
    "description",
    "result",
    "comments",
}


def _clean_plan_values(values: dict) -> dict:
    out = {}
    for name, value in values.items():
        if value is None and name in _TEXT_FIELDS:
            value = ""
        out[name] = value.strip() if isinstance(value, str) else value
    return out


def _validate_plan(values: dict) -> None:
    errors: dict[str, list[str]] = {}
    if not (values.get("aim") or "").strip():
        errors["aim"] = ["Say what the plan sets out to achieve."]
    days = values.get("review_frequency_days")
    if days is None or not isinstance(days, int) or not MIN_REVIEW_DAYS <= days <= MAX_REVIEW_DAYS:
        errors["review_frequency_days"] = [
            f"Give a review period between {MIN_REVIEW_DAYS} and {MAX_REVIEW_DAYS} days."
        ]
    sections = values.get("partner_sections")
    if not isinstance(sections, list) or set(sections) - set(PartnerSection.values):
        errors["partner_sections"] = [f"Choose from {', '.join(PartnerSection.values)}."]
    if errors:
        raise ValidationError(errors)


def _author_role(user, threat: Threat) -> str:
    if threat.lro_id == user.pk:
        return AuthorRole.LRO
    if Role.SIO in user.roles_in(threat.owner_id):
        return AuthorRole.SIO
    return AuthorRole.OTHER


def refresh_fingerprint(plan: Plan) -> None:
    """Recompute the signature of the plan's own text (template lines removed) and its LSH bands."""
    texts = [
        plan.aim,
        *(getattr(plan, n) for n in OBJECTIVE_FIELDS.values()),
        plan.intelligence_gaps,
        *plan.actions.values_list("description", flat=True),
    ]
    lines = fingerprint.own_lines(texts, plan.template_lines)
    plan.text_signature = fingerprint.signature(lines, setting("PLAN_COPY_MIN_WORDS"))
    Plan.objects.filter(pk=plan.pk).update(text_signature=plan.text_signature)
    PlanTextBand.objects.filter(plan=plan).delete()
    if plan.is_current:
        PlanTextBand.objects.bulk_create(
            PlanTextBand(plan=plan, band=b, value=v)
            for b, v in fingerprint.bands(plan.text_signature)
        )


def _touch(plan: Plan, user) -> None:
    plan.updated_at, plan.updated_by = timezone.now(), user
    Plan.objects.filter(pk=plan.pk).update(updated_at=plan.updated_at, updated_by=user)


@transaction.atomic
def create_plan(user, threat: Threat, *, add_suggested_actions: bool = False, **values) -> Plan:
    """Write the first plan for ``threat`` (those who may change the threat: its LRO and owners)."""
    if not policy.can(user, Action.VIEW, threat):
        raise Http404("No such record.")
    if not may_write_plan(user, threat):
        raise PermissionDenied(
            "Only the threat's LRO and its owning organisation may write its plan."
        )
    unknown = set(values) - set(PLAN_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    check_text(Plan, values)
    threat = Threat.objects.select_for_update().get(pk=threat.pk)
    if threat.plans.filter(status=PlanStatus.CURRENT).exists():
        raise ValidationError(
            {
                "threat": [
                    f"{threat.reference} already has a current plan: change it, or start "
                    "a new version."
                ]
            }
        )
    values = _clean_plan_values(
        {"review_frequency_days": setting("PLAN_REVIEW_DAYS"), "partner_sections": [], **values}
    )
    _validate_plan(values)
    template = template_for(threat)
    now = timezone.now()
    plan = Plan(
        threat=threat,
        version=1,
        author=user,
        author_role=_author_role(user, threat),
        template=template,
        template_lines=template_texts(template),
        created_at=now,
        updated_at=now,
        updated_by=user,
        **values,
    )
    plan.full_clean(exclude=PLAN_CLEAN_EXCLUDE)
    plan.save()
    if add_suggested_actions and template is not None:
        PlanAction.objects.bulk_create(
            PlanAction(
                plan=plan,
                four_p=a["four_p"],
                description=a["description"],
                created_by=user,
                updated_by=user,
                created_at=now,
                updated_at=now,
            )
            for a in template.suggested_actions
        )
    refresh_fingerprint(plan)
    audit.record(
        AuditAction.CREATE,
        plan,
        user=user,
        changes={
            "after": audit.snapshot(
                plan,
                fields=set(PLAN_FIELDS)
                | {"threat", "version", "author", "author_role", "template"},
            ),
            "suggested_actions_added": plan.actions.count(),
        },
    )
    return plan


def _lock_current(user, plan: Plan, refusal: str, allowed=None) -> Plan:
    """Lock ``plan`` for a change: 404 if the user may not see it, a ``status`` error if it has been
    superseded, 403 (with ``refusal``) if ``allowed(user, plan)`` (default: may_edit) says no."""
    # of=("self",): PostgreSQL cannot lock the nullable side of the outer join to the template.
    plan = (
        Plan.objects.select_for_update(of=("self",))
        .select_related("threat", "threat__owner", "template")
        .get(pk=plan.pk)
    )
    if not may_view(user, plan):
        raise Http404("No such record.")
    if not plan.is_current:
        raise ValidationError(
            {"status": [f"Version {plan.version} has been superseded and cannot be changed."]}
        )
    if not (allowed or may_edit)(user, plan):
        raise PermissionDenied(refusal)
    return plan


@transaction.atomic
def update_plan(user, plan: Plan, *, expected_version=None, **values) -> Plan:
    plan = _lock_current(
        user, plan, "Only the threat's LRO and its owning organisation may change its plan."
    )
    check_version(plan, expected_version)
    unknown = set(values) - set(PLAN_FIELDS)
    if unknown:
        raise ValidationError(
            {name: ["This field cannot be changed here."] for name in sorted(unknown)}
        )
    check_text(Plan, values)
    values = _clean_plan_values(values)
    _validate_plan({name: values.get(name, getattr(plan, name)) for name in PLAN_FIELDS})
    before = audit.snapshot(plan, fields=PLAN_FIELDS)
    for name, value in values.items():
        setattr(plan, name, value)
    changes = audit.diff(before, audit.snapshot(plan, fields=PLAN_FIELDS))
    if changes:
        plan.updated_at, plan.updated_by = timezone.now(), user
        plan.lock_version += 1
        plan.full_clean(exclude=PLAN_CLEAN_EXCLUDE)
        plan.save()
        refresh_fingerprint(plan)
        audit.record(AuditAction.UPDATE, plan, user=user, changes=changes)
    return plan


@transaction.atomic
def new_version(user, plan: Plan) -> Plan:
    """Supersede the current plan with a copy (its text and every action) that the LRO then revises.
    The old version is kept unchanged."""
    plan = _lock_current(
        user, plan, "Only the threat's LRO and its owning organisation may revise its plan."
    )
    now = timezone.now()
    number = (Plan.objects.filter(threat=plan.threat).aggregate(n=Max("version"))["n"] or 0) + 1
    Plan.objects.filter(pk=plan.pk).update(status=PlanStatus.SUPERSEDED, superseded_at=now)
    PlanTextBand.objects.filter(plan=plan).delete()
    copy = Plan.objects.create(
        threat=plan.threat,
        version=number,
        author=user,
        author_role=_author_role(user, plan.threat),
        template=plan.template,
        template_lines=plan.template_lines,
        created_at=now,
        updated_at=now,
        updated_by=user,
        **{name: getattr(plan, name) for name in PLAN_FIELDS},
    )
    for action in plan.actions.all():
        disruptions = list(action.disruptions.all())
        old_pk = action.pk
        action.pk, action.id, action.plan, action.carried_from_id = None, None, copy, old_pk
        # The copy is written here, even where the action it carries was imported.
        action.import_source, action.imported_at, action.source_key = "", None, ""
        action.save()
        action.disruptions.set(disruptions)
    refresh_fingerprint(copy)
    audit.record(
        AuditAction.CREATE,
        copy,
        user=user,
        changes={
            "after": audit.snapshot(
                copy, fields=set(PLAN_FIELDS) | {"version", "author", "author_role"}
            ),
            "supersedes": {"plan": plan.pk, "version": plan.version},
            "actions_carried": copy.actions.count(),
        },
    )
    return copy


# --- Actions -------------------------------------------------------------------------------------


def _validate_action(values: dict, plan: Plan, disruptions, *, history: bool = False) -> None:
    """The rules of an action. ``history``: an action brought in from a force's own system, as
    it was recorded there: a completed action without a result and an owner who has since left
    are kept (the plan-quality checks report the first; the second is simply history), not
    refused as they are when typed here."""
    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    if values.get("four_p") not in FourP.values:
        add("four_p", "Choose Pursue, Prevent, Protect or Prepare.")
    if not (values.get("description") or "").strip():
        add("description", "Describe the action.")
    start, due = values.get("start_date"), values.get("due_date")
    if start and due and due < start:
        add("due_date", "The due date cannot be before the start date.")
    status = values.get("status")
    if status not in ActionStatus.values:
        add("status", f"Choose one of: {', '.join(ActionStatus.labels)}.")
    if not history and status == ActionStatus.COMPLETE and not (values.get("result") or "").strip():
        add("result", "Record the result before completing the action (covert activity included).")
    person, organisation = values.get("owner_user"), values.get("owner_organisation")
    if not history and person is not None and not person.is_active:
        add("owner_user", f"{person} is not an active user.")
    if not history and organisation is not None and not organisation.active:
        add("owner_organisation", f"{organisation} is no longer active.")
    wrong = [d.reference for d in disruptions if d.threat_id != plan.threat_id]
    if wrong:
        add(
            "disruptions",
            f"{', '.join(wrong)} {'was' if len(wrong) == 1 else 'were'} not recorded against "
            f"{plan.threat.reference}.",
        )
    if errors:
        raise ValidationError(errors)


def possible_holders(plan: Plan):
    """The people offered as an action's owner: active members of the owning organisation and of
    the organisations of its region (partners included). The API may name anyone active, for
    actions held in another region."""
    owner = plan.threat.owner
    orgs = Organisation.objects.filter(
        Q(pk=owner.pk) | Q(region_id=owner.region_id) if owner.region_id else Q(pk=owner.pk)
    )
    return (
        User.objects.filter(is_active=True, memberships__organisation__in=orgs)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def _action_snapshot(action: PlanAction) -> dict:
    return audit.snapshot(
        action, fields=set(ACTION_FIELDS) | {"completed_on", "plan"}
    ) | m2m_snapshot(action, "disruptions")


def _apply_completion(action: PlanAction, before_status: str | None) -> None:
    if action.status == ActionStatus.COMPLETE and before_status != ActionStatus.COMPLETE:
        action.completed_on = timezone.localdate()
    elif action.status != ActionStatus.COMPLETE:
        action.completed_on = None


@transaction.atomic
def add_action(user, plan: Plan, *, disruptions=(), **values) -> PlanAction:
    plan = _lock_current(
        user, plan, "Only the threat's LRO and its owning organisation may add actions."
    )
    unknown = set(values) - set(ACTION_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    check_text(PlanAction, values)
    values = _clean_plan_values({"status": ActionStatus.NOT_STARTED, "result": "", **values})
    disruptions = list(disruptions)
    _validate_action(values, plan, disruptions)
    now = timezone.now()
    action = PlanAction(
        plan=plan, created_by=user, updated_by=user, created_at=now, updated_at=now, **values
    )
    _apply_completion(action, None)
    action.full_clean(exclude=ACTION_CLEAN_EXCLUDE)
    action.save()
    action.disruptions.set(disruptions)
    _touch(plan, user)
    refresh_fingerprint(plan)
    audit.record(AuditAction.CREATE, action, user=user, changes={"after": _action_snapshot(action)})
    return action


@transaction.atomic
def update_action(
    user, action: PlanAction, *, disruptions=None, expected_version=None, **values
) -> PlanAction:
    """Change an action. The plan's owners may change anything; the person or organisation holding
    the action (a partner, say) may change its status, result and start date."""
    if not PlanAction.objects.visible_to(user).filter(pk=action.pk).exists():
        raise Http404("No such record.")
    action = (
        PlanAction.objects.select_for_update(of=("self",))
        .select_related("plan", "plan__threat")
        .get(pk=action.pk)
    )
    plan = action.plan
    if not plan.is_current:
        raise ValidationError(
            {"status": [f"Version {plan.version} has been superseded and cannot be changed."]}
        )
    check_version(action, expected_version)
    allowed = action_rights(user, action)
    if not allowed:
        raise PermissionDenied(
            "Only the plan's owners and the holder of this action may change it."
        )
    unknown = set(values) - set(ACTION_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    check_text(PlanAction, values)
    refused = sorted(
        name for name in values if name not in allowed and values[name] != getattr(action, name)
    ) + (["disruptions"] if disruptions is not None and "four_p" not in allowed else [])
    if refused:
        raise PermissionDenied(
            f"As the holder of this action you may change only its "
            f"{', '.join(n.replace('_', ' ') for n in ASSIGNEE_FIELDS)}; not "
            f"{', '.join(n.replace('_', ' ') for n in refused)}."
        )
    values = _clean_plan_values(values)
    new_disruptions = list(action.disruptions.all()) if disruptions is None else list(disruptions)
    _validate_action(
        {name: values.get(name, getattr(action, name)) for name in ACTION_FIELDS},
        plan,
        new_disruptions,
    )
    before = _action_snapshot(action)
    before_status = action.status
    for name, value in values.items():
        setattr(action, name, value)
    _apply_completion(action, before_status)
    if disruptions is not None:
        action.disruptions.set(new_disruptions)
    changes = audit.diff(before, _action_snapshot(action))
    if changes:
        action.updated_at, action.updated_by = timezone.now(), user
        action.lock_version += 1
        action.full_clean(exclude=ACTION_CLEAN_EXCLUDE)
        action.save()
        _touch(plan, user)
        if "description" in changes:
            refresh_fingerprint(plan)
        audit.record(AuditAction.UPDATE, action, user=user, changes=changes)
    return action


# --- Reviews -------------------------------------------------------------------------------------


def _review_errors(values: dict, plan: Plan) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if values.get("reviewed_on") is None or values["reviewed_on"] > timezone.localdate():
        errors["reviewed_on"] = ["Give the date of the review; it cannot be in the future."]
    elif (
        values["reviewed_on"]
        < timezone.localtime(
            Plan.objects.filter(threat=plan.threat_id)
            .order_by("version")
            .values_list("created_at", flat=True)[0]
        ).date()
    ):
        errors["reviewed_on"] = ["The review cannot be dated before the plan was written."]
    if not (values.get("comments") or "").strip():
        errors["comments"] = ["Record what the review found."]
    if values.get("outcome") not in ReviewOutcome.values:
        errors["outcome"] = [f"Choose one of: {', '.join(ReviewOutcome.labels)}."]
    return errors


def _validate_review(values: dict, plan: Plan) -> None:
    if errors := _review_errors(values, plan):
        raise ValidationError(errors)


@transaction.atomic
def record_review(user, plan: Plan, **values) -> PlanReview:
    """A dated quality-assurance review by the threat's SRO or a chief officer of the owning organisation."""
    plan = _lock_current(
        user,
        plan,
        "Plans are reviewed by the threat's SRO or a chief officer of the owning "
        "organisation, and not by the plan's LRO or author.",
        allowed=lambda u, p: reviewer_role(u, p) is not None,
    )
    role = reviewer_role(user, plan)
    unknown = set(values) - set(REVIEW_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    check_text(PlanReview, values)
    values = _clean_plan_values({"reviewed_on": timezone.localdate(), **values})
    _validate_review(values, plan)
    review = PlanReview.objects.create(plan=plan, reviewer=user, reviewer_role=role, **values)
    audit.record(AuditAction.CREATE, review, user=user, changes={"after": audit.snapshot(review)})
    return review


# --- History imports -------------------------------------------------------------------------------
#
# Plans, actions and reviews brought in from a force's own systems (``plans.importer``). They go
# through the same validation as those entered by hand, keep the file's dates as their own, and are
# marked as imported (``core.models.Imported``). A record entered in socmaster is never changed by
# an import. Each write returns what ``threats.journal`` needs to undo it.

PLAN_RECORD_TYPE = "plans.plan"
ACTION_RECORD_TYPE = "plans.planaction"
REVIEW_RECORD_TYPE = "plans.planreview"


def at_noon(day: dt.date | None) -> dt.datetime | None:
    """A date from a file as a time: noon in Europe/London (kept in UTC)."""
    if day is None:
        return None
    local = dt.datetime.combine(day, dt.time(12), tzinfo=timezone.get_default_timezone())
    return local.astimezone(dt.UTC)


def _import_rights(actor, threat: Threat) -> None:
    if not policy.can(actor, Action.VIEW, threat):
        raise Http404("No such record.")
    if not may_write_plan(actor, threat):
        raise PermissionDenied(
            "Only the threat's LRO and its owning organisation may import its plans."
        )


def _date_errors(errors: dict, dates: dict[str, dt.date | None], *, first: str, what: str) -> None:
    """No date in the future, ``first`` given and none before it."""
    today = timezone.localdate()
    for name, day in dates.items():
        if day is not None and day > today:
            errors.setdefault(name, []).append("The date cannot be in the future.")
    start = dates[first]
    if start is None:
        errors.setdefault(first, []).append(f"Give the date {what}.")
    elif first in errors:  # in the future: the other dates are not compared with it
        return
    for name, day in dates.items():
        if name != first and day is not None and start is not None and day < start:
            errors.setdefault(name, []).append(f"The date cannot be before the date {what}.")


#: The reason of the audit entry that undoes an unfinished import's change (``_undo_reason``).
_UNDONE = "did not finish; its change is undone."


def changed_since_import(obj) -> bool:
    """Has someone changed the imported record ``obj`` in socmaster since it was imported? Its
    latest audited write, an import's undo aside, is then not an import's (whose entries name
    their source)."""
    latest = (
        AuditEntry.objects.filter(
            record_type=audit.record_type_of(obj),
            record_id=str(obj.pk),
            action__in=(AuditAction.CREATE, AuditAction.UPDATE),
        )
        .exclude(reason__endswith=_UNDONE)
        .order_by("-seq")
        .values_list("changes", flat=True)
        .first()
    )
    return latest is not None and "import_source" not in (latest or {})


def _save_imported(
    actor,
    existing,
    new,
    fields: dict,
    *,
    source: str,
    clean_exclude,
    key_field: str,
    m2m: dict | None = None,
    after_save=None,
    note: dict | None = None,
):
    """Create ``new`` with ``fields`` (``existing`` None), or bring ``existing`` in line with them:
    nothing is written when nothing would change, and nothing that was changed in socmaster since
    it was imported is changed back (an error on ``key_field``). One audit entry naming the
    source. Returns the outcome and the journal entry that undoes it."""
    m2m = m2m or {}
    source = (source or "import")[:300]
    obj = existing if existing is not None else new
    before = audit.snapshot(obj) | m2m_snapshot(obj, *m2m) if existing is not None else None
    for name, value in fields.items():
        setattr(obj, name, value)
    if before is not None:
        after = audit.snapshot(obj) | {name: sorted(o.pk for o in v) for name, v in m2m.items()}
        # Only the file's fields are set before comparing: where and when the record was
        # imported (and its version) change only with them.
        changes = audit.diff(before, after)
        if not changes:
            return "unchanged", None
        if changed_since_import(obj):
            raise ValidationError(
                {
                    key_field: [
                        f"{obj} has been changed in socmaster since it was imported; an import "
                        "does not change it back."
                    ]
                }
            )
        if hasattr(obj, "lock_version"):
            obj.lock_version += 1
    obj.import_source, obj.imported_at = source, timezone.now()
    obj.full_clean(exclude=clean_exclude)
    obj.save()
    for name, value in m2m.items():
        getattr(obj, name).set(value)
    if after_save is not None:
        after_save(obj)
    extra = {"import_source": source, **(note or {})}
    if before is None:
        after = audit.snapshot(obj) | m2m_snapshot(obj, *m2m)
        audit.record(AuditAction.CREATE, obj, user=actor, changes={"after": after, **extra})
        return "created", (obj.pk, None)
    audit.record(AuditAction.UPDATE, obj, user=actor, changes={**changes, **extra})
    return "updated", (obj.pk, before)


def check_imported_plan(
    *,
    version,
    status: str,
    author_role: str,
    written_on: dt.date | None,
    updated_on: dt.date | None = None,
    superseded_on: dt.date | None = None,
    **values,
) -> dict:
    """Check one plan version from a file with the rules of a plan written by hand, and its dates
    (none in the future, none before it was written; superseded versions have the date they were
    superseded, current ones none). Returns the cleaned values; raises a ValidationError."""
    unknown = set(values) - set(PLAN_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    check_text(Plan, values)
    values = _clean_plan_values(
        {"review_frequency_days": setting("PLAN_REVIEW_DAYS"), "partner_sections": [], **values}
    )
    errors: dict[str, list[str]] = {}
    try:
        _validate_plan(values)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not isinstance(version, int) or version < 1:
        errors["version"] = ["Give a version number of 1 or more."]
    if status not in PlanStatus.values:
        errors["status"] = [f"Choose one of: {', '.join(PlanStatus.labels)}."]
    if author_role not in AuthorRole.values:
        errors["author_role"] = [f"Choose one of: {', '.join(AuthorRole.labels)}."]
    _date_errors(
        errors,
        {"written_on": written_on, "updated_on": updated_on, "superseded_on": superseded_on},
        first="written_on",
        what="the plan was written",
    )
    if status == PlanStatus.SUPERSEDED and superseded_on is None:
        errors.setdefault("superseded_on", []).append("Give the date this version was superseded.")
    if status == PlanStatus.CURRENT and superseded_on is not None:
        errors.setdefault("superseded_on", []).append(
            "A current plan has not been superseded: leave the date blank."
        )
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def import_plan(
    actor,
    threat: Threat,
    *,
    version: int,
    status: str,
    author,
    author_role: str = "",
    written_on: dt.date | None,
    updated_on: dt.date | None = None,
    superseded_on: dt.date | None = None,
    source: str = "",
    **values,
):
    """Create or update one version of a threat's plan from a file, keyed by (threat, version).

    The author and their role are the file's: the role is kept as the source system recorded it
    (the audit entry notes the role socmaster would give them today), so the plan-quality checks
    judge the plan against the threat's LRO as they do any other. Superseded versions come in as
    superseded; a threat has at most one current plan, the latest version."""
    _import_rights(actor, threat)
    role_here = _author_role(author, threat)
    author_role = author_role or role_here
    values = check_imported_plan(
        version=version,
        status=status,
        author_role=author_role,
        written_on=written_on,
        updated_on=updated_on,
        superseded_on=superseded_on,
        **values,
    )
    threat = Threat.objects.select_for_update().get(pk=threat.pk)
    existing = (
        Plan.objects.select_for_update(of=("self",)).filter(threat=threat, version=version).first()
    )
    errors: dict[str, list[str]] = {}
    if existing is not None and not existing.is_imported:
        errors["version"] = [
            f"Version {version} of the plan for {threat.reference} was written in socmaster; "
            "an import does not change it."
        ]
    others = threat.plans.exclude(pk=existing.pk) if existing is not None else threat.plans.all()
    current = others.filter(status=PlanStatus.CURRENT).first()
    if status == PlanStatus.CURRENT:
        if current is not None:
            errors.setdefault("status", []).append(
                f"{threat.reference} already has a current plan (version {current.version})."
            )
        later = others.filter(version__gt=version).order_by("-version").first()
        if later is not None:
            errors.setdefault("version", []).append(
                f"Version {later.version} exists: the current plan is the latest version."
            )
    elif current is not None and current.version < version:
        errors.setdefault("version", []).append(
            f"Version {current.version} is current: a superseded version is an earlier one."
        )
    if errors:
        raise ValidationError(errors)
    updated_at = at_noon(updated_on or written_on)
    if existing is not None and existing.imported_at and existing.updated_at > existing.imported_at:
        # Worked on in socmaster since it was imported (an action added, say): that is kept.
        updated_at = max(updated_at, existing.updated_at)
    # A plan written from its organisation's template carries the template's lines: kept as
    # the template's (as create_plan keeps them), they are not the plan's own text, so two
    # plans sharing only the template are not taken for copies of each other.
    template = template_for(threat)
    lines = template_texts(template)
    text = "\n".join(str(values.get(name) or "") for name in ("aim", *OBJECTIVE_FIELDS.values()))
    uses = template is not None and any(line.strip() and line.strip() in text for line in lines)
    fields = {
        **values,
        "status": status,
        "author": author,
        "author_role": author_role,
        "created_at": at_noon(written_on),
        "updated_at": updated_at,
        "superseded_at": at_noon(superseded_on),
        "template": template if uses else None,
        "template_lines": lines if uses else [],
    }
    return _save_imported(
        actor,
        existing,
        Plan(threat=threat, version=version, template=None, template_lines=[]),
        fields,
        source=source,
        clean_exclude=PLAN_CLEAN_EXCLUDE,
        key_field="version",
        after_save=refresh_fingerprint,
        note={"author_role_given": {"from_file": author_role, "in_socmaster_today": role_here}},
    )


def check_imported_action(
    plan: Plan,
    *,
    created_on: dt.date | None,
    updated_on: dt.date | None = None,
    completed_on: dt.date | None = None,
    disruptions=(),
    **values,
) -> dict:
    """Check one action from a file with the rules of an action added by hand, as history
    (``_validate_action``: a completed action without a result, an action with no owner or one
    who has since left are kept as recorded, and the plan-quality checks report the first two),
    and its dates: created, updated and completed on, none in the future or before it was
    created; a completed action has its completion date, others none."""
    unknown = set(values) - set(ACTION_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    check_text(PlanAction, values)
    values = _clean_plan_values({"status": ActionStatus.NOT_STARTED, "result": "", **values})
    errors: dict[str, list[str]] = {}
    try:
        _validate_action(values, plan, list(disruptions), history=True)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    _date_errors(
        errors,
        {"created_on": created_on, "updated_on": updated_on, "completed_on": completed_on},
        first="created_on",
        what="the action was created",
    )
    if values.get("status") == ActionStatus.COMPLETE and completed_on is None:
        errors.setdefault("completed_on", []).append("Give the date the action was completed.")
    if values.get("status") != ActionStatus.COMPLETE and completed_on is not None:
        errors.setdefault("completed_on", []).append(
            "Only a completed action has a completion date."
        )
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def import_action(
    actor,
    plan: Plan,
    *,
    key: str,
    created_on: dt.date | None,
    updated_on: dt.date | None = None,
    completed_on: dt.date | None = None,
    disruptions=(),
    source: str = "",
    **values,
):
    """Create or update one action from a file, keyed by its ID in the source system
    (``source_key``) among the actions of the plan's threat. Actions of superseded versions come
    in as history. The plan's text fingerprint is refreshed (copied-plan detection)."""
    _import_rights(actor, plan.threat)
    key = (key or "").strip()
    if not key or len(key) > 120:
        raise ValidationError({"source_key": ["Give the action's ID (at most 120 characters)."]})
    disruptions = list(disruptions)
    values = check_imported_action(
        plan,
        created_on=created_on,
        updated_on=updated_on,
        completed_on=completed_on,
        disruptions=disruptions,
        **values,
    )
    existing = (
        PlanAction.objects.select_for_update(of=("self",))
        .filter(plan__threat_id=plan.threat_id, source_key=key)
        .first()
    )
    moved_from = existing.plan_id if existing is not None else None
    fields = {
        **values,
        "plan": plan,
        "source_key": key,
        "completed_on": completed_on,
        "created_at": at_noon(created_on),
        "updated_at": at_noon(updated_on or created_on),
    }

    def refresh(action):
        refresh_fingerprint(plan)
        if moved_from not in (None, plan.pk):
            refresh_fingerprint(Plan.objects.get(pk=moved_from))

    return _save_imported(
        actor,
        existing,
        PlanAction(),
        fields,
        source=source,
        clean_exclude=ACTION_CLEAN_EXCLUDE,
        key_field="source_key",
        m2m={"disruptions": disruptions},
        after_save=refresh,
    )


def check_imported_review(plan: Plan, *, reviewer, reviewer_role: str = "", **values):
    """Check one review from a file with the rules of a review recorded by hand: the reviewer is
    entitled to review the plan (``reviewer_roles``, judged against its threat as it is today) in
    the role given, and a review of a superseded version is dated before it was superseded.
    Returns the cleaned values and the reviewer's role; raises a ValidationError."""
    unknown = set(values) - set(REVIEW_FIELDS)
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    check_text(PlanReview, values)
    values = _clean_plan_values(values)
    errors = _review_errors(values, plan)
    entitled = reviewer_roles(reviewer, plan)
    if not entitled:
        errors["reviewer"] = [
            f"{reviewer.username} may not review this plan: plans are reviewed by the threat's "
            "SRO or a chief officer of the owning organisation, and not by the threat's LRO or "
            "the plan's author."
        ]
    elif reviewer_role and reviewer_role not in entitled:
        errors["reviewer_role"] = [
            f"{reviewer.username} reviews this plan as "
            f"{' or '.join(ReviewerRole(r).label.lower() for r in entitled)}, not as "
            f"{ReviewerRole(reviewer_role).label.lower()}."
        ]
    day = values.get("reviewed_on")
    if (
        "reviewed_on" not in errors
        and not plan.is_current
        and plan.superseded_at is not None
        and day > timezone.localtime(plan.superseded_at).date()
    ):
        errors["reviewed_on"] = [
            f"Version {plan.version} was superseded on "
            f"{timezone.localtime(plan.superseded_at):%d %b %Y}: a review of it cannot be "
            "dated later."
        ]
    if errors:
        raise ValidationError(errors)
    return values, reviewer_role or entitled[0]


@transaction.atomic
def import_review(
    actor, plan: Plan, *, reviewer, reviewer_role: str = "", source: str = "", **values
):
    """Create or update one review from a file, keyed by (plan, reviewer, date of the review).
    Its time of recording is noon on the day of the review."""
    _import_rights(actor, plan.threat)
    values, role = check_imported_review(
        plan, reviewer=reviewer, reviewer_role=reviewer_role, **values
    )
    existing = (
        PlanReview.objects.select_for_update()
        .filter(plan=plan, reviewer=reviewer, reviewed_on=values["reviewed_on"])
        .first()
    )
    if existing is not None and not existing.is_imported:
        raise ValidationError(
            {
                "reviewed_on": [
                    f"{reviewer.username}'s review of {values['reviewed_on']:%d %b %Y} was "
                    "recorded in socmaster; an import does not change it."
                ]
            }
        )
    fields = {
        **values,
        "reviewer": reviewer,
        "reviewer_role": role,
        "created_at": at_noon(values["reviewed_on"]),
    }
    return _save_imported(
        actor,
        existing,
        PlanReview(plan=plan),
        fields,
        source=source,
        clean_exclude=["plan", "reviewer"],
        key_field="reviewed_on",
    )


def _undo_reason(job) -> str:
    return f"Import {job.pk} ({job.source_name}) {_UNDONE}"


@transaction.atomic
def undo_import_plan(job, undo) -> None:
    """Put back one plan as it was before an import that did not finish."""
    undo_import_write(
        Plan, undo.record_id, undo.before, user=job.created_by, reason=_undo_reason(job)
    )
    plan = Plan.objects.filter(pk=undo.record_id).first()
    if plan is not None:
        refresh_fingerprint(plan)
    undo.delete()


@transaction.atomic
def undo_import_action(job, undo) -> None:
    """Put back one action (and its plan's text fingerprint) as before an unfinished import."""
    plan_ids = set(PlanAction.objects.filter(pk=undo.record_id).values_list("plan_id", flat=True))
    if undo.before and undo.before.get("plan_id"):
        plan_ids.add(undo.before["plan_id"])
    undo_import_write(
        PlanAction,
        undo.record_id,
        undo.before,
        user=job.created_by,
        reason=_undo_reason(job),
        m2m=("disruptions",),
    )
    for plan in Plan.objects.filter(pk__in=plan_ids):
        refresh_fingerprint(plan)
    undo.delete()


@transaction.atomic
def undo_import_review(job, undo) -> None:
    """Put back one review as it was before an import that did not finish."""
    undo_import_write(
        PlanReview, undo.record_id, undo.before, user=job.created_by, reason=_undo_reason(job)
    )
    undo.delete()
