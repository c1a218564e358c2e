"""The agenda sources over the master list, 4P plans, disruptions and the exceptions report,
registered in ``core.registry`` (``register_agenda_source``) from ``TaskingConfig.ready()``.

Each source is given the new meeting's :class:`~socmaster.core.registry.AgendaScope` and builds
its items only from the records the meeting's creator may see, within what the meeting covers,
in a fixed number of queries whatever the size of the data. The gateway registers its own
sources (``gateway/agenda.py``); other apps add theirs the same way.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from socmaster.assessments.choices import AssessmentStatus
from socmaster.assessments.models import Assessment
from socmaster.core.registry import AgendaEntry, AgendaScope, AgendaSource, register_agenda_source
from socmaster.disruptions.choices import Category
from socmaster.disruptions.models import Disruption
from socmaster.gateway.registry import OVERDUE as GATEWAY_OVERDUE
from socmaster.plans.choices import PlanStatus
from socmaster.plans.models import Plan, PlanReview
from socmaster.plans.quality import managed_without_plan
from socmaster.threats import exceptions
from socmaster.threats.models import Threat

THREAT = "threats.threat"
DISRUPTION = "disruptions.disruption"
PLAN = "plans.plan"

#: Exception checks with a section of their own on the agenda, not repeated as figures.
OWN_SECTIONS = frozenset({"no_lro", "no_plan", GATEWAY_OVERDUE})


def _person(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def covered_threats(scope: AgendaScope):
    """The threats the meeting covers that its creator may see: owned by the organisations it
    covers, or (force and area meetings) affecting its area."""
    threats = Threat.objects.visible_to(scope.user)
    return scope.covering(threats, "owner", areas="areas")


def _active(scope: AgendaScope):
    return exceptions.active(covered_threats(scope))


def _threat_detail(threat) -> str:
    parts = []
    if threat.tier:
        parts.append(f"Tier {threat.tier}")
    if threat.score is not None:
        parts.append(f"score {threat.score}")
    parts.append(f"LRO {_person(threat.lro)}" if threat.lro_id else "no LRO")
    if threat.phase_id:
        parts.append(threat.phase.name)
    parts.append(threat.owner.short_name)
    return " · ".join(parts)


def _threat_entry(threat, detail: str | None = None) -> AgendaEntry:
    return AgendaEntry.about(
        threat,
        f"{threat.reference} {threat.name}",
        _threat_detail(threat) if detail is None else detail,
        threat=threat,
    )


def _listed(scope: AgendaScope, queryset, entry, noun: str, url: str = "") -> list[AgendaEntry]:
    """Up to ``scope.limit`` entries from ``queryset`` (in its order), and a figure for the rest:
    two queries however many records match."""
    rows = list(queryset[: scope.limit])
    total = len(rows) if len(rows) < scope.limit else queryset.count()
    return [entry(r) for r in rows] + scope.more(total, len(rows), noun, url)


def _with_related(threats):
    return threats.select_related("owner", "lro", "phase")


# --- The sources ---------------------------------------------------------------------------------


def top_threats(scope: AgendaScope) -> list[AgendaEntry]:
    """The open threats with the highest priority (moderated MoRiLE) score."""
    threats = _active(scope).filter(score__isnull=False).order_by("-score", "tier", "reference")
    return [_threat_entry(t) for t in _with_related(threats)[: scope.top_n]]


def _new_q(scope: AgendaScope) -> Q:
    return Q(opened_on__gte=scope.since) | Q(
        opened_on__isnull=True, created_at__gte=scope.since_start
    )


def new_threats(scope: AgendaScope) -> list[AgendaEntry]:
    """Threats added to the master list since the last meeting (opened, or recorded)."""
    threats = _with_related(covered_threats(scope).filter(_new_q(scope))).order_by(
        "-created_at", "reference"
    )

    def entry(t):
        opened = t.opened_on or timezone.localdate(t.created_at)
        return _threat_entry(t, f"Opened {opened:%d %b %Y} · {_threat_detail(t)}")

    return _listed(scope, threats, entry, "new threats")


def _tier_changes(scope: AgendaScope, *, rises: bool) -> list[AgendaEntry]:
    """Moderated assessments since the last meeting that moved their threat's tier, the latest
    per threat. Tier 1 is the highest: a rise is to a lower number."""
    earlier = Assessment.objects.filter(
        threat=OuterRef("threat"),
        status=AssessmentStatus.MODERATED,
        version_number__lt=OuterRef("version_number"),
    ).order_by("-version_number")
    moderated_since = Q(moderated_at__gte=scope.since_start) | Q(
        moderated_at__isnull=True, outside_decision_on__gte=scope.since
    )
    moved = (
        Assessment.objects.filter(status=AssessmentStatus.MODERATED, threat__in=_active(scope))
        .filter(moderated_since)
        .annotate(previous_tier=Subquery(earlier.values("tier")[:1]))
        .filter(previous_tier__isnull=False)
        .filter(Q(tier__lt=F("previous_tier")) if rises else Q(tier__gt=F("previous_tier")))
        .select_related("threat", "threat__owner", "threat__lro", "threat__phase")
        .order_by("threat__reference", "-version_number")
    )
    latest = {}
    for assessment in moved:
        latest.setdefault(assessment.threat_id, assessment)
    changes = sorted(latest.values(), key=lambda a: (a.tier, a.threat.reference))
    entries = []
    for a in changes[: scope.limit]:
        day = timezone.localdate(a.moderated_at) if a.moderated_at else a.outside_decision_on
        detail = (
            f"Tier {a.previous_tier} to Tier {a.tier}, moderated {day:%d %b %Y} "
            f"(assessment version {a.version_number}, score {a.score}) · "
            f"{_threat_detail(a.threat)}"
        )
        entries.append(_threat_entry(a.threat, detail))
    return entries + scope.more(len(changes), len(entries), "threats")


def tier_rises(scope: AgendaScope) -> list[AgendaEntry]:
    return _tier_changes(scope, rises=True)


def tier_falls(scope: AgendaScope) -> list[AgendaEntry]:
    return _tier_changes(scope, rises=False)


def _priority_order(threats):
    return threats.order_by(F("score").desc(nulls_last=True), "reference")


def without_lro(scope: AgendaScope) -> list[AgendaEntry]:
    threats = _with_related(_priority_order(_active(scope).filter(lro__isnull=True)))
    return _listed(
        scope, threats, _threat_entry, "threats without an LRO", _exceptions_url("no_lro")
    )


def without_plan(scope: AgendaScope) -> list[AgendaEntry]:
    threats = _with_related(_priority_order(managed_without_plan(covered_threats(scope))))
    return _listed(
        scope, threats, _threat_entry, "threats without a 4P plan", _exceptions_url("no_plan")
    )


def plan_reviews_overdue(scope: AgendaScope) -> list[AgendaEntry]:
    """Current plans of open threats whose review is overdue: the plan-quality check's rule (the
    latest review of any version of the threat's plan, or the first version's writing, plus the
    plan's review period), most overdue first."""
    today = timezone.localdate(scope.until)
    reviews = PlanReview.objects.filter(plan__threat=OuterRef("threat")).order_by("-reviewed_on")
    first = Plan.objects.filter(threat=OuterRef("threat")).order_by("version")
    plans = (
        Plan.objects.visible_to(scope.user)
        .filter(status=PlanStatus.CURRENT, threat__in=_active(scope))
        .annotate(
            last_review=Subquery(reviews.values("reviewed_on")[:1]),
            first_written=Subquery(first.values("created_at")[:1]),
        )
        .values_list("pk", "review_frequency_days", "last_review", "first_written", "created_at")
    )
    overdue = []
    for pk, every, last, first_written, created in plans:
        written = timezone.localtime(first_written or created).date()
        due = (last or written) + dt.timedelta(days=every)
        if due < today:
            overdue.append((due, pk, last, written))
    overdue.sort()
    shown = overdue[: scope.limit]
    by_pk = {
        p.pk: p
        for p in Plan.objects.filter(pk__in=[pk for _, pk, _, _ in shown]).select_related(
            "threat", "threat__owner", "threat__lro", "threat__phase"
        )
    }
    entries = []
    for due, pk, last, written in shown:
        plan = by_pk[pk]
        since = (
            f"last reviewed {last:%d %b %Y}" if last else f"never reviewed since {written:%d %b %Y}"
        )
        entries.append(
            AgendaEntry.about(
                plan,
                f"{plan.threat.reference} {plan.threat.name}: 4P plan review overdue",
                f"Review was due {due:%d %b %Y} ({(today - due).days} days ago; {since}) · "
                f"{_threat_detail(plan.threat)}",
                threat=plan.threat,
            )
        )
    return entries + scope.more(
        len(overdue), len(shown), "plans with an overdue review", reverse("plans:reviews-due")
    )


def significant_disruptions(scope: AgendaScope) -> list[AgendaEntry]:
    """Major disruptions approved since the last meeting (those the figures count)."""
    approved_since = Q(moderated_at__gte=scope.since_start) | Q(
        moderated_at__isnull=True, outside_decision_on__gte=scope.since
    )
    disruptions = (
        Disruption.objects.visible_to(scope.user)
        .counted()
        .filter(category=Category.MAJOR, threat__in=covered_threats(scope))
        .filter(approved_since)
        .select_related("threat", "tactic", "recording_organisation")
        .order_by("-event_date", "-id")
    )

    def entry(d):
        what = d.tactic.label if d.tactic_id else d.get_four_p_display()
        return AgendaEntry.about(
            d,
            f"{d.reference}: {what} against {d.threat.reference} {d.threat.name}",
            f"{d.get_category_display()} {d.get_four_p_display()} disruption on "
            f"{d.event_date:%d %b %Y}, recorded by {d.recording_organisation.short_name}",
            threat=d.threat,
        )

    return _listed(scope, disruptions, entry, "major disruptions", reverse("disruptions:list"))


def _exceptions_url(key: str) -> str:
    return f"{reverse('threats:exceptions')}?check={key}"


def exception_figures(scope: AgendaScope) -> list[AgendaEntry]:
    """One figure per check of the exceptions report that finds something among the threats
    (and other records) the meeting covers; the checks with a section of their own are left
    out."""
    threats = covered_threats(scope)
    over = exceptions.Scope(threats, user=scope.user, organisation_ids=scope.organisation_ids)
    entries = []
    for check, rows in exceptions.run_all(threats, scope=over):
        if check.key in OWN_SECTIONS:
            continue
        count = len(rows)
        if count:
            entries.append(
                AgendaEntry.figure_of(
                    f"{check.title}: {count:,}", check.explanation, url=_exceptions_url(check.key)
                )
            )
    return entries


SOURCES = [
    AgendaSource(
        "top_threats",
        "Top threats by priority score",
        100,
        top_threats,
        (THREAT,),
        "The open threats with the highest moderated MoRiLE scores.",
    ),
    AgendaSource(
        "new_threats",
        "New threats since the last meeting",
        200,
        new_threats,
        (THREAT,),
        "Threats opened or added to the master list since the last meeting.",
    ),
    AgendaSource(
        "tier_rises",
        "Threats whose tier rose",
        300,
        tier_rises,
        (THREAT,),
        "A moderated assessment since the last meeting put the threat in a higher tier.",
    ),
    AgendaSource(
        "tier_falls",
        "Threats whose tier fell",
        310,
        tier_falls,
        (THREAT,),
        "A moderated assessment since the last meeting put the threat in a lower tier.",
    ),
    AgendaSource(
        "no_lro",
        "Threats without an LRO",
        400,
        without_lro,
        (THREAT,),
        "Every managed threat needs a lead responsible officer who owns its 4P plan.",
    ),
    AgendaSource(
        "no_plan",
        "Threats without a 4P plan",
        410,
        without_plan,
        (THREAT,),
        "Every managed threat needs a 4P plan owned by its LRO.",
    ),
    AgendaSource(
        "plan_reviews_overdue",
        "4P plan reviews overdue",
        500,
        plan_reviews_overdue,
        (PLAN,),
        "Plans not reviewed by their SRO or a chief officer within their review period.",
    ),
    AgendaSource(
        "significant_disruptions",
        "Significant disruptions since the last meeting",
        700,
        significant_disruptions,
        (DISRUPTION,),
        "Major disruptions approved since the last meeting.",
    ),
    AgendaSource(
        "exceptions",
        "Exceptions",
        800,
        exception_figures,
        (),
        "The exceptions report's other checks, as figures for the records the meeting covers.",
        background=True,  # the report's checks over a region take seconds
    ),
]


def register() -> None:
    for source in SOURCES:
        register_agenda_source(source)
