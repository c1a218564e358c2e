"""Writing 4P plans, their actions and reviews. Every function checks the rules, writes in one
transaction and records one audit entry. Changes are timed, dated and attributed automatically."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.http import Http404
from django.utils import timezone

from socmaster.core import audit, policy
from socmaster.core.choices import Action, AuditAction
from socmaster.core.services import check_version, m2m_snapshot
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


def reviewer_role(user, plan: Plan) -> str | None:
    """Supervisors (the threat's SRO) and chief officers of the owning organisation review current
    plans; neither the LRO nor the plan's author reviews their own plan."""
    threat = plan.threat
    if not plan.is_current or policy.is_read_only(user) or not has_full_view(user, plan):
        return None
    if user.pk in (threat.lro_id, plan.author_id):
        return None
    if threat.sro_id == user.pk:
        return ReviewerRole.SRO
    if Role.CHIEF_OFFICER in user.roles_in(threat.owner_id):
        return ReviewerRole.CHIEF_OFFICER
    return None


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


def _validate_action(values: dict, plan: Plan, disruptions) -> None:
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
    if status == ActionStatus.COMPLETE and not (values.get("result") or "").strip():
        add("result", "Record the result before completing the action (covert activity included).")
    person, organisation = values.get("owner_user"), values.get("owner_organisation")
    if person is not None and not person.is_active:
        add("owner_user", f"{person} is not an active user.")
    if organisation is not None and not organisation.active:
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
    errors: dict[str, list[str]] = {}
    if values["reviewed_on"] is None or values["reviewed_on"] > timezone.localdate():
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
    if errors:
        raise ValidationError(errors)
    review = PlanReview.objects.create(plan=plan, reviewer=user, reviewer_role=role, **values)
    audit.record(AuditAction.CREATE, review, user=user, changes={"after": audit.snapshot(review)})
    return review
