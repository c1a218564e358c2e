"""Every write to the gateway: capabilities and offers (administrators), requests and their
workflow (requesters and gateway officers), pauses, overrides; and the reads the queue and the
flags are built from.

Who does what:

- a **requester** is a police user with a working role in the organisation that asks; they
  submit, answer a question (which restarts the clocks) and withdraw;
- a **gateway officer** (the role, in the organisation that owns the request: the ROCU or the
  NCA receiving it) triages, accepts, declines, refers, pauses the clocks to ask the requester
  for information, overrides the queue's order, starts and completes the work;
- an **administrator** of the offering organisation, or a national administrator, maintains
  its offers; national administrators maintain the capabilities and their acceptance criteria.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from socmaster.core import audit, policy
from socmaster.core.choices import Action, AuditAction, Handling
from socmaster.core.references import next_reference
from socmaster.core.validators import check_text
from socmaster.core.workflow import transition
from socmaster.organisations.choices import OrganisationType, Role

from . import clock
from .choices import (
    AWAITING_DECISION,
    CLOSED,
    DEFAULT_DECISION_DAYS,
    REQUEST_HANDLING,
    TRANSITIONS,
    Authority,
    CapacityUnit,
    DeclineReason,
    ReferralReason,
    RequestStatus,
    Urgency,
)
from .models import Capability, CapabilityOffer, RequestPause, SupportRequest

PREFIX = "GW"
#: Organisation types that run a gateway (receive requests).
GATEWAY_TYPES = frozenset({OrganisationType.ROCU, OrganisationType.NATIONAL_AGENCY})
#: Handling levels a requester may choose (the receiving ROCU's region by default).
HANDLING_CHOICES = tuple(Handling(value) for value, _ in REQUEST_HANDLING)
#: Fields a requester fills in.
REQUEST_FIELDS = (
    "threat_description",
    "operation",
    "asked_for",
    "justification",
    "needed_from",
    "needed_to",
    "urgency",
    "threat_to_life",
    "authorities",
)
MAX_OVERRIDE = 999


# --- who may do what ---------------------------------------------------------------------------


def is_gateway_officer(user, organisation_id: int) -> bool:
    return (
        user is not None
        and user.is_authenticated
        and not policy.is_read_only(user)
        and Role.GATEWAY_OFFICER in user.roles_in(organisation_id)
    )


def gateway_organisation_ids(user) -> list[int]:
    """The organisations whose gateway ``user`` works in."""
    return sorted(
        {m.organisation_id for m in user.active_memberships if m.role == Role.GATEWAY_OFFICER}
    )


def can_decide(user, request: SupportRequest) -> bool:
    return policy.can(user, Action.VIEW, request) and is_gateway_officer(user, request.owner_id)


def requesting_organisations(user) -> list:
    """The organisations ``user`` may ask for support on behalf of: police organisations where
    they hold a working role."""
    if policy.is_read_only(user):
        return []
    return sorted(
        {
            m.organisation
            for m in user.active_memberships
            if m.role in policy.WRITE_ROLES
            and not m.organisation.is_partner
            and m.organisation.type != OrganisationType.INSPECTORATE
        },
        key=lambda o: o.name,
    )


def is_requester(user, request: SupportRequest) -> bool:
    return policy.can(user, Action.VIEW, request) and any(
        o.pk == request.requesting_organisation_id for o in requesting_organisations(user)
    )


def _require_decider(user, request: SupportRequest) -> None:
    if not policy.can(user, Action.VIEW, request):
        raise Http404("No such record.")
    if not is_gateway_officer(user, request.owner_id):
        raise PermissionDenied("Only a gateway officer of the receiving organisation may do this.")


def _locked(request: SupportRequest) -> SupportRequest:
    return SupportRequest.objects.select_for_update().get(pk=request.pk)


# --- acceptance criteria -----------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    kind: str
    text: str
    met: bool
    detail: str = ""


def _current_assessment(threat) -> bool:
    """Has the threat a moderated MoRiLE assessment whose evidence is not older than the limit?"""
    from socmaster.assessments.choices import AssessmentStatus
    from socmaster.assessments.models import Assessment

    limit = int(settings.SOCMASTER.get("STALE_EVIDENCE_DAYS", 365))
    cutoff = timezone.localdate() - dt.timedelta(days=limit)
    return Assessment.objects.filter(
        threat=threat, status=AssessmentStatus.MODERATED, evidence_to__gte=cutoff
    ).exists()


def _criterion_threat_required(request, spec) -> Criterion:
    return Criterion(
        "threat_required",
        "The request names a threat on the master list",
        request.threat_id is not None,
        "" if request.threat_id else "It describes a threat that is not on the master list.",
    )


def _criterion_tiers(request, spec) -> Criterion:
    tiers = sorted(int(t) for t in spec.get("tiers", []))
    text = "The threat is Tier " + ", ".join(str(t) for t in tiers)
    tier = request.threat.tier if request.threat_id else None
    if request.threat_to_life:
        return Criterion("tiers", text, True, "Met: there is a threat to life.")
    return Criterion(
        "tiers",
        text,
        tier in tiers,
        f"The threat is Tier {tier}." if tier else "The threat has no tier.",
    )


def _criterion_notice_days(request, spec) -> Criterion:
    days = int(spec.get("days", 0))
    submitted = timezone.localdate(request.submitted_at)
    notice = (request.needed_from - submitted).days
    text = f"Asked for at least {days} days before it is needed"
    if request.threat_to_life or request.urgency == Urgency.IMMEDIATE:
        return Criterion("notice_days", text, True, "Met: immediate or a threat to life.")
    return Criterion("notice_days", text, notice >= days, f"{notice} days' notice given.")


def _criterion_assessed(request, spec) -> Criterion:
    text = "The threat has a current moderated MoRiLE assessment"
    if request.threat_id is None:
        return Criterion("assessed", text, False, "No threat on the master list.")
    ok = _current_assessment(request.threat)
    return Criterion("assessed", text, ok, "" if ok else "None current.")


def _criterion_authorities(request, spec) -> Criterion:
    text = "The authorities it needs are named"
    return Criterion(
        "authorities", text, bool(request.authorities), "" if request.authorities else "None."
    )


#: The kinds of acceptance criterion a capability may hold, and how each is checked.
CRITERIA = {
    "threat_required": _criterion_threat_required,
    "tiers": _criterion_tiers,
    "notice_days": _criterion_notice_days,
    "assessed": _criterion_assessed,
    "authorities": _criterion_authorities,
}


def criteria_problems(criteria) -> list[str]:
    """What is wrong with a capability's acceptance criteria (data), all at once."""
    if not isinstance(criteria, list):
        return ["Acceptance criteria are a list."]
    problems = []
    for i, spec in enumerate(criteria, start=1):
        kind = spec.get("kind") if isinstance(spec, dict) else None
        if kind not in CRITERIA:
            problems.append(f"Criterion {i}: unknown kind {kind!r} (one of {', '.join(CRITERIA)}).")
        elif kind == "tiers":
            tiers = spec.get("tiers")
            if not tiers or not all(isinstance(t, int) and 1 <= t <= 5 for t in tiers):
                problems.append(f"Criterion {i}: tiers are a list of numbers from 1 to 5.")
        elif kind == "notice_days":
            days = spec.get("days")
            if not isinstance(days, int) or days < 0 or days > 365:
                problems.append(f"Criterion {i}: days is a whole number from 0 to 365.")
    return problems


def acceptance(request: SupportRequest) -> list[Criterion]:
    """The request against its capability's acceptance criteria, each met or not."""
    return [
        CRITERIA[spec["kind"]](request, spec) for spec in request.capability.acceptance_criteria
    ]


def unassessed(request: SupportRequest) -> bool:
    """Flag: the request is about a threat with no current moderated MoRiLE assessment."""
    return request.threat_id is not None and not _current_assessment(request.threat)


# --- triage score ------------------------------------------------------------------------------

TIER_POINTS = {1: 40, 2: 30, 3: 20, 4: 10, 5: 5}
HARM_POINTS = 20
URGENCY_POINTS = {Urgency.IMMEDIATE: 30, Urgency.URGENT: 15, Urgency.ROUTINE: 0}
THREAT_TO_LIFE_POINTS = 50
#: A point a day waiting for a decision, at most this many.
AGE_POINTS = 30


@dataclass(frozen=True)
class Factor:
    label: str
    points: int
    explanation: str


@lru_cache(maxsize=16)
def _full_harm(scheme_id: int) -> float:
    """The highest harm the scheme can give: its harm is scaled against it."""
    from socmaster.assessments.models import SchemeVersion
    from socmaster.morile.scoring import score

    engine = SchemeVersion.objects.get(pk=scheme_id).engine_scheme()
    best = {f.key: max(f.answers, key=lambda a: a.value).key for f in engine.factors}
    return float(score(engine, best).harm) or 1.0


def _harm(threat) -> tuple[float, float] | None:
    """The harm of the threat's latest moderated assessment, and the scheme's highest."""
    from socmaster.assessments.choices import AssessmentStatus

    latest = (
        threat.assessments.filter(status=AssessmentStatus.MODERATED)
        .order_by("-version_number")
        .only("result", "scheme_id")
        .first()
    )
    if latest is None:
        return None
    figures = {f.get("key"): f.get("value") for f in latest.result.get("figures", [])}
    if figures.get("harm") is None:
        return None
    return float(figures["harm"]), _full_harm(latest.scheme_id)


def base_factors(request: SupportRequest) -> list[Factor]:
    """The parts of the triage score that do not change with age."""
    factors = []
    threat = request.threat if request.threat_id else None
    tier = threat.tier if threat else None
    factors.append(
        Factor(
            "Tier",
            TIER_POINTS.get(tier, 0),
            f"Tier {tier} threat" if tier else "No tiered threat on the master list",
        )
    )
    harm = _harm(threat) if threat else None
    if harm:
        value, full = harm
        points = round(HARM_POINTS * min(1.0, value / full))
        factors.append(Factor("MoRiLE harm", points, f"Harm {value:g} of a possible {full:g}"))
    else:
        factors.append(Factor("MoRiLE harm", 0, "No moderated MoRiLE assessment"))
    factors.append(
        Factor("Urgency", URGENCY_POINTS[request.urgency], request.get_urgency_display())
    )
    if request.threat_to_life:
        factors.append(Factor("Threat to life", THREAT_TO_LIFE_POINTS, "Threat to life"))
    return factors


def age_factor(request: SupportRequest, now: dt.datetime | None = None) -> Factor:
    now = now or timezone.now()
    days = max(0, int(decision_clock(request, now).running_days))
    return Factor("Age", min(AGE_POINTS, days), f"{days} days waiting for a decision")


def triage_factors(request: SupportRequest, now: dt.datetime | None = None) -> list[Factor]:
    return [*base_factors(request), age_factor(request, now)]


def computed_score(request: SupportRequest, now: dt.datetime | None = None) -> int:
    return request.score_base + age_factor(request, now).points


def queue_score(request: SupportRequest, now: dt.datetime | None = None) -> int:
    """The score the queue sorts by: an officer's override where there is one."""
    if request.override_score is not None:
        return request.override_score
    return computed_score(request, now)


def _rescore(request: SupportRequest) -> None:
    request.score_base = sum(f.points for f in base_factors(request))


# --- clocks ------------------------------------------------------------------------------------


def _pauses(request: SupportRequest):
    return [(p.started_at, p.ended_at) for p in request.pauses.all()]


def decision_clock(request: SupportRequest, now: dt.datetime | None = None) -> clock.Clock:
    """From submission to the decision (accept, decline, refer, withdraw), less time paused."""
    now = now or timezone.now()
    return clock.clock(request.submitted_at, request.decided_at, now, _pauses(request))


def completion_clock(request: SupportRequest, now: dt.datetime | None = None) -> clock.Clock:
    """From submission to completion, less time paused (None once declined, referred or
    withdrawn: there is nothing to complete)."""
    now = now or timezone.now()
    if request.status in CLOSED and request.status != RequestStatus.COMPLETED:
        return None
    return clock.clock(request.submitted_at, request.completed_at, now, _pauses(request))


def decision_days() -> dict[str, int]:
    """Days a request may wait for a decision at each urgency before it is flagged
    (``SOCMASTER["GATEWAY_DECISION_DAYS"]``: ``"immediate=1,urgent=3,routine=14"``, or a dict;
    an urgency it leaves out keeps its default)."""
    days = {str(u): d for u, d in DEFAULT_DECISION_DAYS.items()}
    configured = settings.SOCMASTER.get("GATEWAY_DECISION_DAYS", "")
    if isinstance(configured, str):
        pairs = [part.partition("=")[::2] for part in configured.split(",")]
    else:
        pairs = [(name, str(value)) for name, value in dict(configured).items()]
    for name, value in pairs:
        if name.strip() in days and value.strip().isdigit():
            days[name.strip()] = int(value)
    return days


def is_decision_overdue(request: SupportRequest, now: dt.datetime | None = None) -> bool:
    if request.status not in AWAITING_DECISION:
        return False
    return decision_clock(request, now).running_days > decision_days()[request.urgency]


def awaiting_decision_q(now: dt.datetime | None = None) -> Q:
    """A cheap filter for requests that *may* be overdue (their calendar age is past the limit);
    ``is_decision_overdue`` then takes pauses off."""
    now = now or timezone.now()
    q = Q(pk__in=[])
    for urgency, days in decision_days().items():
        q |= Q(urgency=urgency, submitted_at__lt=now - dt.timedelta(days=days))
    return Q(status__in=AWAITING_DECISION) & q


def overdue_decisions(queryset: QuerySet, now: dt.datetime | None = None) -> list:
    now = now or timezone.now()
    maybe = queryset.filter(awaiting_decision_q(now)).prefetch_related("pauses").with_related()
    return [r for r in maybe if is_decision_overdue(r, now)]


# --- the queue ---------------------------------------------------------------------------------


def queue(user, *, organisation_id: int | None = None, now: dt.datetime | None = None) -> list:
    """Requests awaiting a decision at the gateways ``user`` works in, highest score first
    (overrides in place of the computed score), oldest first among equals."""
    now = now or timezone.now()
    owners = gateway_organisation_ids(user)
    if organisation_id is not None:
        owners = [o for o in owners if o == organisation_id]
    requests = list(
        SupportRequest.objects.visible_to(user)
        .filter(owner_id__in=owners, status__in=AWAITING_DECISION)
        .with_related()
        .prefetch_related("pauses")
    )
    return sorted(requests, key=lambda r: (-queue_score(r, now), r.submitted_at, r.pk))


# --- capabilities and offers ---------------------------------------------------------------------


def _require_national_admin(user) -> None:
    if not policy.is_national_administrator(user):
        raise PermissionDenied("Only a national administrator maintains capabilities.")


def _clean_criteria(criteria) -> list:
    problems = criteria_problems(criteria)
    if problems:
        raise ValidationError({"acceptance_criteria": problems})
    return criteria


@transaction.atomic
def create_capability(user, *, code: str, name: str, description: str = "", criteria=()):
    _require_national_admin(user)
    values = {"code": code.strip(), "name": name.strip(), "description": description.strip()}
    errors = {}
    if not values["code"]:
        errors["code"] = ["Give the capability a code."]
    if not values["name"]:
        errors["name"] = ["Give the capability a name."]
    if Capability.objects.filter(Q(code=values["code"]) | Q(name=values["name"])).exists():
        errors["name"] = ["A capability with this code or name exists."]
    try:
        criteria = _clean_criteria(list(criteria))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    check_text(Capability, values)
    capability = Capability.objects.create(acceptance_criteria=criteria, **values)
    audit.record(
        AuditAction.CREATE, capability, user=user, changes={"after": audit.snapshot(capability)}
    )
    return capability


@transaction.atomic
def update_capability(user, capability: Capability, **values) -> Capability:
    _require_national_admin(user)
    allowed = {"name", "description", "acceptance_criteria", "active"}
    unknown = set(values) - allowed
    if unknown:
        raise ValidationError({n: ["This field cannot be changed here."] for n in sorted(unknown)})
    if "acceptance_criteria" in values:
        _clean_criteria(values["acceptance_criteria"])
    if "name" in values:
        name = (values["name"] or "").strip()
        if not name:
            raise ValidationError({"name": ["Give the capability a name."]})
        if Capability.objects.filter(name=name).exclude(pk=capability.pk).exists():
            raise ValidationError({"name": ["A capability with this code or name exists."]})
    capability = Capability.objects.select_for_update().get(pk=capability.pk)
    before = audit.snapshot(capability)
    for name, value in values.items():
        setattr(capability, name, value.strip() if isinstance(value, str) else value)
    after = audit.snapshot(capability)
    if after == before:
        return capability
    capability.save()
    audit.record(
        AuditAction.UPDATE, capability, user=user, changes={"before": before, "after": after}
    )
    return capability


def may_maintain_offers(user, organisation) -> bool:
    if policy.is_read_only(user):
        return False
    if policy.is_national_administrator(user):
        return True
    return organisation.pk in policy.administered_organisation_ids(user)


def _offer_values(values: dict) -> dict:
    errors: dict[str, list[str]] = {}
    clean = {}
    if "team" in values:
        clean["team"] = (values["team"] or "").strip()
        if not clean["team"]:
            errors["team"] = ["Name the team."]
    if "monthly_capacity" in values:
        try:
            capacity = Decimal(str(values["monthly_capacity"]))
            if capacity < 0 or capacity > Decimal("99999"):
                raise InvalidOperation
            # As stored (one decimal place), so that "20" saved over 20.0 changes nothing.
            clean["monthly_capacity"] = capacity.quantize(Decimal("0.1"))
        except (InvalidOperation, ValueError):
            errors["monthly_capacity"] = ["Give the monthly capacity as a number, 0 or more."]
    if "capacity_unit" in values and values["capacity_unit"] not in CapacityUnit.values:
        errors["capacity_unit"] = ["Choose a unit from the list."]
    for name in ("capacity_unit", "capability_owner", "active"):
        if name in values:
            clean[name] = values[name]
    if errors:
        raise ValidationError(errors)
    return clean


def _check_capability_owner(clean: dict, organisation) -> None:
    owner = clean.get("capability_owner")
    if owner is not None and not owner.roles_in(organisation.pk):
        raise ValidationError(
            {"capability_owner": ["Name someone who works in the organisation that offers it."]}
        )


@transaction.atomic
def create_offer(user, *, capability: Capability, organisation, **values) -> CapabilityOffer:
    if organisation.type not in GATEWAY_TYPES:
        raise ValidationError({"organisation": ["Only a ROCU or a national agency offers this."]})
    if not may_maintain_offers(user, organisation):
        raise PermissionDenied("Only the organisation's administrators maintain its offers.")
    clean = _offer_values({"team": "", "monthly_capacity": None} | values)
    _check_capability_owner(clean, organisation)
    if CapabilityOffer.objects.filter(
        capability=capability, organisation=organisation, team=clean["team"]
    ).exists():
        raise ValidationError({"team": ["This team already offers this capability here."]})
    offer = CapabilityOffer.objects.create(
        capability=capability, organisation=organisation, **clean
    )
    audit.record(AuditAction.CREATE, offer, user=user, changes={"after": audit.snapshot(offer)})
    return offer


@transaction.atomic
def update_offer(user, offer: CapabilityOffer, **values) -> CapabilityOffer:
    if not may_maintain_offers(user, offer.organisation):
        raise PermissionDenied("Only the organisation's administrators maintain its offers.")
    unknown = set(values) - {
        "team",
        "monthly_capacity",
        "capacity_unit",
        "capability_owner",
        "active",
    }
    if unknown:
        raise ValidationError({n: ["This field cannot be changed here."] for n in sorted(unknown)})
    clean = _offer_values(values)
    _check_capability_owner(clean, offer.organisation)
    offer = CapabilityOffer.objects.select_for_update().get(pk=offer.pk)
    if (
        "team" in clean
        and CapabilityOffer.objects.filter(
            capability_id=offer.capability_id,
            organisation_id=offer.organisation_id,
            team=clean["team"],
        )
        .exclude(pk=offer.pk)
        .exists()
    ):
        raise ValidationError({"team": ["This team already offers this capability here."]})
    before = audit.snapshot(offer)
    for name, value in clean.items():
        setattr(offer, name, value)
    after = audit.snapshot(offer)
    if after == before:
        return offer
    offer.save()
    audit.record(AuditAction.UPDATE, offer, user=user, changes={"before": before, "after": after})
    return offer


def offers_of(capability: Capability, organisation_id: int | None = None) -> QuerySet:
    qs = CapabilityOffer.objects.filter(capability=capability, active=True)
    if organisation_id is not None:
        qs = qs.filter(organisation_id=organisation_id)
    return qs.select_related("organisation")


def gateways_for(capability: Capability) -> list:
    """The organisations that offer ``capability`` now (a request goes to one of them)."""
    seen = {}
    for offer in offers_of(capability):
        seen[offer.organisation_id] = offer.organisation
    return sorted(seen.values(), key=lambda o: o.name)


# --- requests ----------------------------------------------------------------------------------


def _request_problems(values: dict, *, today: dt.date) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name in ("asked_for", "justification"):
        if not (values.get(name) or "").strip():
            errors[name] = ["Say " + ("what is asked for." if name == "asked_for" else "why.")]
    needed_from, needed_to = values.get("needed_from"), values.get("needed_to")
    if not isinstance(needed_from, dt.date):
        errors["needed_from"] = ["Give the date the support is needed from."]
    elif needed_from < today - dt.timedelta(days=1):
        errors["needed_from"] = ["The date needed from cannot be in the past."]
    if needed_to is not None and not isinstance(needed_to, dt.date):
        errors["needed_to"] = ["Give a date, or leave it empty."]
    elif isinstance(needed_from, dt.date) and needed_to is not None and needed_to < needed_from:
        errors["needed_to"] = ["The date needed to cannot be before the date needed from."]
    if values.get("urgency", Urgency.ROUTINE) not in Urgency.values:
        errors["urgency"] = ["Choose an urgency."]
    authorities = values.get("authorities", [])
    if not isinstance(authorities, list | tuple) or set(authorities) - set(Authority.values):
        errors["authorities"] = ["Choose authorities from the list."]
    return errors


@transaction.atomic
def submit_request(
    user,
    *,
    capability: Capability,
    gateway,
    requesting_organisation,
    threat=None,
    handling: str = Handling.REGION,
    **values,
) -> SupportRequest:
    """A request for ``capability`` to the gateway of ``gateway`` (a ROCU or the NCA that offers
    it) on behalf of ``requesting_organisation``, about ``threat`` (one the user may see) or a
    threat described in ``threat_description``."""
    unknown = set(values) - set(REQUEST_FIELDS)
    if unknown:
        raise ValidationError({n: ["Unknown field."] for n in sorted(unknown)})
    if requesting_organisation.pk not in {o.pk for o in requesting_organisations(user)}:
        raise PermissionDenied("Ask for support on behalf of an organisation you work in.")
    errors = _request_problems(values, today=timezone.localdate())
    if not capability.active:
        errors["capability"] = ["This capability is no longer offered."]
    elif gateway.pk not in {o.pk for o in gateways_for(capability)}:
        errors["gateway"] = [f"{gateway.name} does not offer {capability.name}."]
    if threat is not None and not policy.can(user, Action.VIEW, threat):
        errors["threat"] = ["No such threat."]
    if threat is None and not (values.get("threat_description") or "").strip():
        errors["threat_description"] = [
            "Choose the threat, or describe it if it is not on the master list."
        ]
    if handling not in HANDLING_CHOICES:
        errors["handling"] = ["Choose who may see the request."]
    if not errors:
        try:
            check_text(SupportRequest, values)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    clean = {
        k: (v.strip() if isinstance(v, str) else v) for k, v in values.items() if v is not None
    }
    clean["authorities"] = sorted(set(clean.get("authorities", [])))
    request = SupportRequest(
        reference=next_reference(PREFIX, SupportRequest.objects.all()),
        capability=capability,
        owner=gateway,
        handling=handling,
        requesting_organisation=requesting_organisation,
        requested_by=user,
        threat=threat,
        **clean,
    )
    _rescore(request)
    request.save()
    request.shared_with.set([requesting_organisation])
    audit.record(AuditAction.CREATE, request, user=user, changes={"after": audit.snapshot(request)})
    return request


@transaction.atomic
def assign(user, request: SupportRequest, assignee) -> SupportRequest:
    _require_decider(user, request)
    request = _locked(request)
    if assignee is not None and not is_gateway_officer(assignee, request.owner_id):
        raise ValidationError({"assigned_to": ["Assign it to a gateway officer of this gateway."]})
    before = request.assigned_to_id
    if before == (assignee.pk if assignee else None):
        return request
    request.assigned_to = assignee
    request.updated_at = timezone.now()
    request.save(update_fields=["assigned_to", "updated_at"])
    audit.record(
        AuditAction.UPDATE,
        request,
        user=user,
        changes={"assigned_to": {"before": before, "after": request.assigned_to_id}},
    )
    return request


@transaction.atomic
def triage(user, request: SupportRequest, *, notes: str = "") -> SupportRequest:
    _require_decider(user, request)
    request = _locked(request)
    _rescore(request)
    return transition(
        user,
        request,
        "triage",
        TRANSITIONS,
        reason=(notes or "").strip(),
        triaged_at=timezone.now(),
    )


def _end_pause(user, request: SupportRequest, answer: str, now) -> None:
    open_pause = request.pauses.filter(ended_at__isnull=True).first()
    if open_pause is not None:
        open_pause.ended_at = now
        open_pause.ended_by = user
        open_pause.answer = answer
        open_pause.save(update_fields=["ended_at", "ended_by", "answer"])
        audit.record(
            AuditAction.UPDATE,
            request,
            user=user,
            changes={"pause": {"ended": now.isoformat(), "answer": answer}},
        )


def _decide(user, request, name: str, *, reason: str, **fields) -> SupportRequest:
    now = timezone.now()
    _end_pause(user, request, "(closed by the decision)", now)
    return transition(
        user,
        request,
        name,
        TRANSITIONS,
        reason=reason,
        decided_at=now,
        decided_by=user,
        **fields,
    )


def _parse_capacity(value) -> Decimal:
    try:
        capacity = Decimal(str(value))
    except (InvalidOperation, ValueError):
        capacity = Decimal(-1)
    if capacity <= 0 or capacity > Decimal("99999"):
        raise ValidationError({"committed_capacity": ["Give the capacity committed, above 0."]})
    return capacity


@transaction.atomic
def accept(
    user,
    request: SupportRequest,
    *,
    offer: CapabilityOffer,
    committed_from: dt.date,
    committed_to: dt.date,
    committed_capacity,
    notes: str = "",
) -> SupportRequest:
    """Accept with the team (``offer``), dates and capacity committed; refused while any of the
    capability's acceptance criteria is unmet (decline it instead, saying so)."""
    _require_decider(user, request)
    request = _locked(request)
    errors: dict[str, list[str]] = {}
    if (
        offer is None
        or offer.organisation_id != request.owner_id
        or (offer.capability_id != request.capability_id)
    ):
        errors["offer"] = ["Choose a team of this gateway that offers this capability."]
    if not isinstance(committed_from, dt.date):
        errors["committed_from"] = ["Give the first date committed."]
    if not isinstance(committed_to, dt.date):
        errors["committed_to"] = ["Give the last date committed."]
    elif isinstance(committed_from, dt.date) and committed_to < committed_from:
        errors["committed_to"] = ["The last date cannot be before the first."]
    try:
        capacity = _parse_capacity(committed_capacity)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if request.status in AWAITING_DECISION:
        unmet = [c for c in acceptance(request) if not c.met]
        if unmet:
            errors["status"] = [
                "The request does not meet the capability's acceptance criteria: "
                + "; ".join(f"{c.text} ({c.detail})" if c.detail else c.text for c in unmet)
                + ". Decline it, saying which."
            ]
    if errors:
        raise ValidationError(errors)
    return _decide(
        user,
        request,
        "accept",
        reason=(notes or "").strip(),
        offer=offer,
        committed_from=committed_from,
        committed_to=committed_to,
        committed_capacity=capacity,
        decision_notes=(notes or "").strip(),
    )


@transaction.atomic
def decline(user, request: SupportRequest, *, reason: str, notes: str = "") -> SupportRequest:
    _require_decider(user, request)
    request = _locked(request)
    errors = {}
    if reason not in DeclineReason.values:
        errors["decline_reason"] = ["Choose why it is declined."]
    if not (notes or "").strip():
        errors["decision_notes"] = ["Explain the decision to the requester."]
    if errors:
        raise ValidationError(errors)
    return _decide(
        user,
        request,
        "decline",
        reason=notes.strip(),
        decline_reason=reason,
        decision_notes=notes.strip(),
    )


@transaction.atomic
def refer(user, request: SupportRequest, *, to, reason: str, notes: str = "") -> SupportRequest:
    """Refer the request to another gateway that offers the capability: it closes here (counted
    as referred) and a new request, linked to it, opens there, seen by the requester and by
    this gateway. Returns the new request."""
    _require_decider(user, request)
    request = _locked(request)
    errors = {}
    if reason not in ReferralReason.values:
        errors["referral_reason"] = ["Choose why it is referred."]
    if to is None or to.pk == request.owner_id:
        errors["referred_to"] = ["Refer it to another ROCU or the NCA."]
    elif to.pk not in {o.pk for o in gateways_for(request.capability)}:
        errors["referred_to"] = [f"{to.name} does not offer {request.capability.name}."]
    if not (notes or "").strip():
        errors["decision_notes"] = ["Say why, for the requester and the receiving gateway."]
    if errors:
        raise ValidationError(errors)
    received = SupportRequest(
        reference=next_reference(PREFIX, SupportRequest.objects.all()),
        capability=request.capability,
        owner=to,
        handling=request.handling,
        requesting_organisation=request.requesting_organisation,
        requested_by=request.requested_by,
        threat=request.threat,
        **{name: getattr(request, name) for name in REQUEST_FIELDS},
    )
    _rescore(received)
    received.save()
    received.shared_with.set([request.requesting_organisation_id, request.owner_id])
    audit.record(
        AuditAction.CREATE,
        received,
        user=user,
        reason=f"Referred from {request.reference}",
        changes={"after": audit.snapshot(received), "referred_from": request.reference},
    )
    _decide(
        user,
        request,
        "refer",
        reason=notes.strip(),
        referral_reason=reason,
        decision_notes=notes.strip(),
        referred_to=received,
    )
    return received


@transaction.atomic
def start(user, request: SupportRequest) -> SupportRequest:
    _require_decider(user, request)
    request = _locked(request)
    return transition(user, request, "start", TRANSITIONS, started_at=timezone.now())


@transaction.atomic
def complete(user, request: SupportRequest, *, outcome: str, disruptions=()) -> SupportRequest:
    """Record the outcome and the disruptions the support produced (ones the user may see)."""
    from socmaster.disruptions.models import Disruption

    _require_decider(user, request)
    request = _locked(request)
    if not (outcome or "").strip():
        raise ValidationError({"outcome": ["Say what the support achieved."]})
    ids = {d.pk for d in disruptions}
    visible = set(
        Disruption.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)
    )
    if ids - visible:
        raise ValidationError({"disruptions": ["No such disruption."]})
    now = timezone.now()
    _end_pause(user, request, "(closed on completion)", now)
    request = transition(
        user, request, "complete", TRANSITIONS, completed_at=now, outcome=outcome.strip()
    )
    if ids:
        request.disruptions.set(sorted(ids))
        audit.record(AuditAction.UPDATE, request, user=user, changes={"disruptions": sorted(ids)})
    return request


@transaction.atomic
def withdraw(user, request: SupportRequest, *, reason: str) -> SupportRequest:
    if not policy.can(user, Action.VIEW, request):
        raise Http404("No such record.")
    if not is_requester(user, request):
        raise PermissionDenied("Only the requesting organisation may withdraw its request.")
    if not (reason or "").strip():
        raise ValidationError({"reason": ["Say why the request is withdrawn."]})
    request = _locked(request)
    now = timezone.now()
    fields = {}
    if request.decided_at is None:
        fields = {"decided_at": now, "decided_by": user}
    _end_pause(user, request, "(withdrawn)", now)
    return transition(user, request, "withdraw", TRANSITIONS, reason=reason.strip(), **fields)


@transaction.atomic
def pause(user, request: SupportRequest, *, asked: str) -> RequestPause:
    """Stop the clocks while the gateway waits on the requester for ``asked``."""
    _require_decider(user, request)
    request = _locked(request)
    if request.status in CLOSED:
        raise ValidationError({"status": ["The request is closed: its clocks have stopped."]})
    if not (asked or "").strip():
        raise ValidationError({"asked": ["Say what information is needed from the requester."]})
    if request.pauses.filter(ended_at__isnull=True).exists():
        raise ValidationError({"asked": ["The clocks are already paused for an answer."]})
    paused = RequestPause.objects.create(request=request, asked=asked.strip(), started_by=user)
    audit.record(
        AuditAction.UPDATE,
        request,
        user=user,
        changes={"pause": {"started": paused.started_at.isoformat(), "asked": paused.asked}},
    )
    return paused


@transaction.atomic
def resume(user, request: SupportRequest, *, answer: str) -> SupportRequest:
    """The requester answers (or the gateway officer records the answer): the clocks run again."""
    if not policy.can(user, Action.VIEW, request):
        raise Http404("No such record.")
    if not (is_requester(user, request) or is_gateway_officer(user, request.owner_id)):
        raise PermissionDenied("Only the requester or the gateway may answer.")
    request = _locked(request)
    if not request.pauses.filter(ended_at__isnull=True).exists():
        raise ValidationError({"answer": ["The clocks are not paused."]})
    if not (answer or "").strip():
        raise ValidationError({"answer": ["Give the answer."]})
    _end_pause(user, request, answer.strip(), timezone.now())
    return request


@transaction.atomic
def override(user, request: SupportRequest, *, score, reason: str) -> SupportRequest:
    """Put the request where the officer judges in the queue (a score in place of the computed
    one), with the reason; ``score`` None takes the override off."""
    _require_decider(user, request)
    request = _locked(request)
    if request.status not in AWAITING_DECISION:
        raise ValidationError({"status": ["Only a request awaiting a decision is in the queue."]})
    if score is not None:
        try:
            score = int(score)
        except (TypeError, ValueError):
            score = -1
        if not 0 <= score <= MAX_OVERRIDE:
            raise ValidationError({"override_score": [f"Give a score from 0 to {MAX_OVERRIDE}."]})
    if not (reason or "").strip():
        raise ValidationError({"override_reason": ["Say why the queue's order is overridden."]})
    before = {"score": request.override_score, "reason": request.override_reason}
    request.override_score = score
    request.override_reason = reason.strip() if score is not None else ""
    request.override_by = user if score is not None else None
    request.updated_at = timezone.now()
    request.save(update_fields=["override_score", "override_reason", "override_by", "updated_at"])
    audit.record(
        AuditAction.UPDATE,
        request,
        user=user,
        reason=reason.strip(),
        changes={"override": {"before": before, "after": {"score": score}}},
    )
    return request


def available_transitions(user, request: SupportRequest) -> list[str]:
    """The workflow steps ``user`` may take on ``request`` now, for its page's buttons."""
    names = []
    decider = can_decide(user, request)
    for name, (sources, _) in TRANSITIONS.items():
        if request.status not in sources:
            continue
        if name == "withdraw":
            if is_requester(user, request):
                names.append(name)
        elif decider:
            names.append(name)
    return names
