"""Automatic quality checks of 4P plans, each failure with its reason.

The checks run in a handful of queries however many plans there are: counts come from database
annotations, copied text from the stored LSH bands of each plan's text signature. Thresholds are
settings (``SOCMASTER_PLAN_*``, see the README).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from socmaster.threats.choices import ThreatType
from socmaster.threats.exceptions import ExceptionCheck, active, register, scoped
from socmaster.threats.models import Threat

from . import fingerprint
from .choices import (
    EMPTY_RESULTS,
    FILLER_WORDS,
    OPEN_STATUSES,
    ActionStatus,
    AuthorRole,
    FourP,
    PlanStatus,
)
from .models import OBJECTIVE_FIELDS, Plan, PlanAction, PlanReview, PlanTextBand
from .services import setting


@dataclass(frozen=True)
class Check:
    key: str
    title: str
    explanation: str


CHECKS = [
    Check(
        "no_plan",
        "Managed threat with no plan",
        "Every managed threat needs a 4P plan owned by its LRO.",
    ),
    Check("no_lro", "No LRO", "The threat has no lead responsible officer to own the plan."),
    Check(
        "written_by_sio",
        "Written by the SIO",
        "The plan was written by a senior investigating officer rather "
        "than the LRO; such plans tend to be pursue-only.",
    ),
    Check(
        "not_by_lro",
        "Not written by the LRO",
        "The plan was written by someone other than the threat's LRO (a sergeant, an analyst, "
        "another officer): the LRO owns the plan and should write it.",
    ),
    Check(
        "missing_p",
        "One of the 4Ps has no actions",
        "Each of Pursue, Prevent, Protect and Prepare needs at least one action.",
    ),
    Check("pursue_only", "Pursue-only plan", "All the plan's actions are Pursue actions."),
    Check(
        "undated_actions",
        "Actions without owner or dates",
        "Every action needs an owner, a start date and a due date.",
    ),
    Check(
        "no_result",
        "Completed actions without a result",
        "A completed action must record what it achieved.",
    ),
    Check(
        "empty_result",
        "Completed actions whose result says nothing",
        "A result must say what the action achieved: too few meaningful words, or a stock "
        "phrase such as 'done' or 'completed'. Covert actions too.",
    ),
    Check(
        "plans_not_linked",
        "Safeguarding or investigation plans not linked",
        "A threat with safeguarding concerns (a vulnerability threat, or crime types that "
        "exploit people) or under active investigation needs its safeguarding or investigation "
        "plans named in the 4P plan.",
    ),
    Check(
        "partner_unseen",
        "Partner actions nobody at the partner can see or has opened",
        "An action held by an organisation with no active users, or never opened by anyone "
        "there, is not being worked on.",
    ),
    Check(
        "overdue_actions",
        "Overdue actions",
        "Actions not complete or cancelled after their due date.",
    ),
    Check(
        "review_overdue",
        "No review within the review period",
        "Supervisors must review the plan at least as often as its review period.",
    ),
    Check(
        "copied_text",
        "Text copied from another plan",
        "The plan's own text (template text aside) is nearly the same as another plan's.",
    ),
    Check(
        "not_updated",
        "Not updated recently",
        "Neither the plan nor its actions have changed for longer than the limit.",
    ),
]
CHECK_KEYS = [c.key for c in CHECKS]
BY_KEY = {c.key: c for c in CHECKS}


@dataclass(frozen=True)
class Failure:
    key: str
    reason: str

    @property
    def title(self) -> str:
        return BY_KEY[self.key].title


@dataclass
class PlanQuality:
    """One row of the plan-quality report: a current plan, or a managed threat that has none."""

    threat: Threat
    plan: Plan | None
    failures: list[Failure] = field(default_factory=list)
    next_review_due: dt.date | None = None

    @property
    def failed_keys(self) -> list[str]:
        return [f.key for f in self.failures]

    @property
    def passed(self) -> bool:
        return not self.failures

    def as_row(self) -> dict:
        t = self.threat
        return {
            "threat": t.reference,
            "organisation": t.owner.name,
            "region": t.owner.region.name if t.owner.region_id else "",
            "lro": str(t.lro) if t.lro_id else "",
            "plan_version": self.plan.version if self.plan else "",
            "checks_failed": ";".join(self.failed_keys),
            "next_review_due": self.next_review_due.isoformat() if self.next_review_due else "",
            "reasons": " | ".join(f"{f.title}: {f.reason}" for f in self.failures),
        }


REPORT_COLUMNS = ["threat", "organisation", "lro", "checks_failed"]
EXPORT_COLUMNS = [
    "threat",
    "organisation",
    "region",
    "lro",
    "plan_version",
    "checks_failed",
    "next_review_due",
    "reasons",
]


def _annotated(plans: QuerySet, today: dt.date) -> QuerySet:
    live = ~Q(actions__status=ActionStatus.CANCELLED)
    counts = {f"n_{p}": Count("actions", filter=Q(actions__four_p=p) & live) for p in FourP.values}
    reviews = PlanReview.objects.filter(plan__threat=OuterRef("threat")).order_by("-reviewed_on")
    first = Plan.objects.filter(threat=OuterRef("threat")).order_by("version")
    # The checks read none of the plan's text, only its signature: leave the text in the database.
    plans = plans.defer(
        "aim",
        *OBJECTIVE_FIELDS.values(),
        "intelligence_gaps",
        "template_lines",
        "partner_sections",
    )
    return plans.select_related(
        "threat",
        "threat__owner",
        "threat__owner__region",
        "threat__lro",
        "threat__sro",
        "threat__phase",
        "author",
    ).annotate(
        **counts,
        n_undated=Count(
            "actions",
            filter=live
            & (
                Q(actions__start_date__isnull=True)
                | Q(actions__due_date__isnull=True)
                | Q(actions__owner_user__isnull=True, actions__owner_organisation__isnull=True)
            ),
        ),
        n_no_result=Count(
            "actions", filter=Q(actions__status=ActionStatus.COMPLETE, actions__result="")
        ),
        n_overdue=Count(
            "actions", filter=Q(actions__status__in=OPEN_STATUSES, actions__due_date__lt=today)
        ),
        # Changing an action in socmaster touches its plan; an imported action keeps the file's
        # dates, so its last update counts as the plan's.
        last_action_update=Max("actions__updated_at", filter=Q(actions__imported_at__isnull=False)),
        last_review=Subquery(reviews.values("reviewed_on")[:1]),
        first_written=Subquery(first.values("created_at")[:1]),
    )


def _copies(plans: list[Plan]) -> dict[int, tuple[Plan | int, float]]:
    """For each plan, the most similar other current plan above the threshold: {plan id: (other, similarity)}."""
    ids = {p.pk for p in plans if p.text_signature}
    if not ids:
        return {}
    mine = PlanTextBand.objects.filter(plan_id__in=ids)
    rows = PlanTextBand.objects.filter(value__in=mine.values("value")).values_list(
        "plan_id", "band", "value"
    )
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    for plan_id, band, value in rows:
        groups[(band, value)].append(plan_id)
    candidates: dict[int, set[int]] = defaultdict(set)
    for members in groups.values():
        if len(members) > 1:
            for a in members:
                if a in ids:
                    candidates[a].update(m for m in members if m != a)
    if not candidates:
        return {}
    others = set().union(*candidates.values())
    sigs = {p.pk: p.text_signature for p in plans}
    sigs.update(
        dict(Plan.objects.filter(pk__in=others - set(sigs)).values_list("pk", "text_signature"))
    )
    threshold = float(setting("PLAN_COPY_SIMILARITY"))
    best: dict[int, tuple[int, float]] = {}
    for plan_id, near in candidates.items():
        scored = [(fingerprint.similarity(sigs[plan_id], sigs.get(o, [])), o) for o in near]
        score, other = max(scored)
        if score >= threshold:
            best[plan_id] = (other, score)
    return best


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", (text or "").lower())


def empty_result(text: str) -> str | None:
    """Why a completed action's result records no outcome, or None if it says something: a
    stock phrase (``EMPTY_RESULTS``, data) or fewer meaningful words than the setting."""
    words = _words(text)
    if " ".join(words) in EMPTY_RESULTS:
        return f"'{text.strip()}' says only that it was done"
    meaningful = [w for w in words if w not in FILLER_WORDS]
    needed = int(setting("PLAN_RESULT_MIN_WORDS"))
    if len(meaningful) < needed:
        return f"'{text.strip()}' has {len(meaningful)} meaningful word(s) (at least {needed})"
    return None


def _results(plan_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """Completed actions' results by plan: [(description, result)]."""
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    rows = PlanAction.objects.filter(plan_id__in=plan_ids, status=ActionStatus.COMPLETE).exclude(
        result=""
    )
    for plan_id, description, result in rows.values_list("plan_id", "description", "result"):
        found[plan_id].append((description, result))
    return found


def _unseen_partner_actions(plan_ids: list[int]) -> dict[int, list[str]]:
    """Open actions held by an organisation (no named person) that has no active users, or in
    which nobody has opened the plan or the action: why, by plan."""
    from socmaster.core.models import AuditEntry
    from socmaster.organisations.models import Membership

    actions = list(
        PlanAction.objects.filter(
            plan_id__in=plan_ids,
            status__in=OPEN_STATUSES,
            owner_organisation__isnull=False,
            owner_user__isnull=True,
        ).select_related("owner_organisation")
    )
    if not actions:
        return {}
    orgs = {a.owner_organisation_id for a in actions}
    today = timezone.localdate()
    staffed = set(
        Membership.objects.filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=today),
            organisation_id__in=orgs,
            user__is_active=True,
            valid_from__lte=today,
        ).values_list("organisation_id", flat=True)
    )
    opened = set(
        AuditEntry.objects.filter(
            action="view",
            organisation_id__in=orgs,
            record_type__in=("plans.plan", "plans.planaction"),
            record_id__in=[str(i) for i in plan_ids] + [str(a.pk) for a in actions],
        ).values_list("record_type", "record_id", "organisation_id")
    )
    found: dict[int, list[str]] = defaultdict(list)
    for a in actions:
        org = a.owner_organisation
        if org.pk not in staffed:
            found[a.plan_id].append(f"{org.short_name or org.name} has no active users")
        elif ("plans.plan", str(a.plan_id), org.pk) not in opened and (
            "plans.planaction",
            str(a.pk),
            org.pk,
        ) not in opened:
            found[a.plan_id].append(f"nobody at {org.short_name or org.name} has opened it")
    return found


def _link_gaps(plan: Plan, safeguarding_types: set[str], investigation_phases: set[str]):
    threat = plan.threat
    gaps = []
    codes = {c.code for c in threat.crime_types.all()}
    if (threat.threat_type == ThreatType.VULNERABILITY or codes & safeguarding_types) and not (
        plan.safeguarding_plans or ""
    ).strip():
        gaps.append("no safeguarding plan is linked")
    phase = threat.phase.name if threat.phase_id else ""
    if phase in investigation_phases and not (plan.investigation_plans or "").strip():
        gaps.append(f"no investigation plan is linked (phase: {phase})")
    return gaps


def evaluate(plans: QuerySet, user=None, today: dt.date | None = None) -> list[PlanQuality]:
    """Run every plan check over ``plans`` (current plans only are checked)."""
    today = today or timezone.localdate()
    stale_days = int(setting("PLAN_STALE_DAYS"))
    plans = list(
        _annotated(plans.filter(status=PlanStatus.CURRENT), today).prefetch_related(
            "threat__crime_types"
        )
    )
    copies = _copies(plans)
    results = _results([p.pk for p in plans])
    unseen = _unseen_partner_actions([p.pk for p in plans])
    safeguarding_types = set(setting("PLAN_SAFEGUARDING_CRIME_TYPES"))
    investigation_phases = set(setting("PLAN_INVESTIGATION_PHASES"))
    other_ids = {other for other, _ in copies.values()}
    other_plans = Plan.objects.filter(pk__in=other_ids).select_related("threat")
    visible = (
        set(Plan.objects.visible_to(user).filter(pk__in=other_ids).values_list("pk", flat=True))
        if user is not None
        else other_ids
    )
    others = {p.pk: p for p in other_plans}
    out = []
    for plan in plans:
        threat = plan.threat
        failed: list[Failure] = []

        def fail(key: str, reason: str, _failed=failed) -> None:
            _failed.append(Failure(key, reason))

        if threat.lro_id is None:
            fail("no_lro", f"{threat.reference} has no LRO.")
        if plan.author_role == AuthorRole.SIO and plan.author_id != threat.lro_id:
            fail("written_by_sio", "Written by the senior investigating officer, not the LRO.")
        elif threat.lro_id and plan.author_id != threat.lro_id:
            fail(
                "not_by_lro",
                f"Written by {plan.author.get_full_name() or plan.author.username}, not the LRO "
                f"({threat.lro.get_full_name() or threat.lro.username}).",
            )
        counts = {p: getattr(plan, f"n_{p}") for p in FourP.values}
        empty = [FourP(p).label for p, n in counts.items() if n == 0]
        if empty:
            fail("missing_p", f"No {', '.join(empty)} actions.")
        if counts[FourP.PURSUE] and not any(counts[p] for p in FourP.values if p != FourP.PURSUE):
            n = counts[FourP.PURSUE]
            fail(
                "pursue_only",
                f"All {n} actions are Pursue actions."
                if n > 1
                else "Its only action is a Pursue action.",
            )
        if plan.n_undated:
            fail(
                "undated_actions",
                f"{plan.n_undated} action{'s' if plan.n_undated != 1 else ''} without an owner, "
                "a start date or a due date.",
            )
        if plan.n_no_result:
            fail(
                "no_result",
                f"{plan.n_no_result} completed action{'s' if plan.n_no_result != 1 else ''} without "
                "a result.",
            )
        empties = [
            f"{(d.strip().splitlines() or [''])[0][:60]}: {why}"
            for d, r in results.get(plan.pk, [])
            if (why := empty_result(r))
        ]
        if empties:
            fail("empty_result", "; ".join(empties))
        if gaps := _link_gaps(plan, safeguarding_types, investigation_phases):
            fail("plans_not_linked", "; ".join(gaps).capitalize() + ".")
        if plan.pk in unseen:
            fail("partner_unseen", "Partner-held action: " + "; ".join(unseen[plan.pk]) + ".")
        if plan.n_overdue:
            many = plan.n_overdue != 1
            fail(
                "overdue_actions",
                f"{plan.n_overdue} action{'s' if many else ''} past "
                f"{'their' if many else 'its'} due date.",
            )
        written = timezone.localtime(plan.first_written or plan.created_at).date()
        base = plan.last_review or written
        due = base + dt.timedelta(days=plan.review_frequency_days)
        if due < today:
            since = (
                f"last reviewed {plan.last_review:%d %b %Y}"
                if plan.last_review
                else f"never reviewed since it was written on {written:%d %b %Y}"
            )
            fail(
                "review_overdue",
                f"Review was due {due:%d %b %Y} ({since}; reviews every "
                f"{plan.review_frequency_days} days).",
            )
        if plan.pk in copies:
            other_id, score = copies[plan.pk]
            other = others.get(other_id)
            whose = (
                f"the plan for {other.threat.reference}"
                if other is not None and other_id in visible
                else "a plan you cannot see"
            )
            fail("copied_text", f"{round(score * 100)}% of its own text matches {whose}.")
        updated = timezone.localtime(
            max(filter(None, (plan.updated_at, plan.last_action_update)))
        ).date()
        if (today - updated).days > stale_days:
            fail(
                "not_updated",
                f"Not updated since {updated:%d %b %Y} ({(today - updated).days} days; "
                f"the limit is {stale_days}).",
            )
        out.append(PlanQuality(threat=threat, plan=plan, failures=failed, next_review_due=due))
    return out


#: Reviews due within this many days are listed as due (with the overdue ones).
REVIEW_HORIZON_DAYS = 14


def reviews_due(user, scope: str = "", today: dt.date | None = None) -> list[PlanQuality]:
    """Current plans of open threats the user may see (narrowed by ``scope``, as the exceptions
    report's: ``lro`` or ``organisation``) whose review is overdue or due within
    :data:`REVIEW_HORIZON_DAYS`, most overdue first."""
    today = today or timezone.localdate()
    threats = scoped(Threat.objects.visible_to(user), user, scope)
    plans = Plan.objects.visible_to(user).filter(threat__in=active(threats))
    horizon = today + dt.timedelta(days=REVIEW_HORIZON_DAYS)
    rows = [
        r
        for r in evaluate(plans, user=user, today=today)
        if r.next_review_due and r.next_review_due <= horizon
    ]
    rows.sort(key=lambda r: (r.next_review_due, r.threat.reference))
    return rows


def managed_without_plan(threats: QuerySet) -> QuerySet:
    return active(threats).exclude(plans__status=PlanStatus.CURRENT)


def report(
    threats: QuerySet, plans: QuerySet, user=None, today: dt.date | None = None
) -> list[PlanQuality]:
    """One row per current plan of a managed (open) threat in ``plans``, and per managed threat of
    ``threats`` with no plan."""
    rows = evaluate(plans.filter(threat__in=active(Threat.objects.all())), user=user, today=today)
    for threat in managed_without_plan(threats).select_related("owner", "owner__region", "lro"):
        failures = [
            Failure("no_plan", f"{threat.reference} is on the master list and has no 4P plan.")
        ]
        if threat.lro_id is None:
            failures.append(Failure("no_lro", f"{threat.reference} has no LRO."))
        rows.append(PlanQuality(threat=threat, plan=None, failures=failures))
    rows.sort(key=lambda r: (r.threat.owner.name, r.threat.reference))
    return rows


def summarise(rows: list[PlanQuality]) -> dict:
    """Counts per organisation and per region: plans, threats without plans, plans passing, failures by check."""

    def blank():
        return {"plans": 0, "no_plan": 0, "passing": 0, "checks": dict.fromkeys(CHECK_KEYS, 0)}

    by_org: dict[tuple[str, str], dict] = defaultdict(blank)
    by_region: dict[str, dict] = defaultdict(blank)
    keys: dict[str, str] = {}  # region and organisation names to their keys, for links
    total = blank()
    for row in rows:
        org = row.threat.owner
        region = org.region.name if org.region_id else "No region"
        keys[org.name] = org.key
        if org.region_id:
            keys[region] = org.region.key
        for bucket in (by_org[(region, org.name)], by_region[region], total):
            if row.plan is None:
                bucket["no_plan"] += 1
            else:
                bucket["plans"] += 1
                bucket["passing"] += int(row.passed)
            for key in row.failed_keys:
                bucket["checks"][key] += 1

    def rate(b):
        return round(100 * b["passing"] / b["plans"]) if b["plans"] else None

    orgs = [
        {
            "region": r,
            "organisation": o,
            "organisation_key": keys.get(o, ""),
            **b,
            "passing_percent": rate(b),
        }
        for (r, o), b in sorted(by_org.items())
    ]
    regions = [
        {"region": r, "region_key": keys.get(r, ""), **b, "passing_percent": rate(b)}
        for r, b in sorted(by_region.items())
    ]
    return {
        "organisations": orgs,
        "regions": regions,
        "total": {**total, "passing_percent": rate(total)},
    }


def _no_plan_rows(qs):
    return [
        {"threat": t, "detail": "No 4P plan"}
        for t in managed_without_plan(qs)
        .select_related("owner", "lro")
        .order_by("owner__name", "reference")
    ]


def register_exception_checks() -> None:
    register(
        ExceptionCheck(
            "no_plan",
            "Active threats without a 4P plan",
            "Every managed threat needs a 4P plan owned by its LRO.",
            _no_plan_rows,
        )
    )
