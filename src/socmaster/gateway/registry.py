"""What the gateway adds to the shared registries (from ``GatewayConfig.ready()``): the "Gateway"
navigation item, the home page's figures (for gateway officers, requests past their decision
limit and requests waiting for triage; for requesters, requests waiting on their answer), two
checks of the exceptions report, the threat page's panel of support requests, and (from
``agenda``) the gateway's items on tasking and co-ordination meetings' agendas."""

from __future__ import annotations

from django.urls import reverse

from socmaster.core import policy
from socmaster.core.registry import (
    AttentionCount,
    AttentionItem,
    NavItem,
    ThreatPanel,
    register_attention,
    register_nav_item,
    register_threat_panel,
)
from socmaster.threats.exceptions import ExceptionCheck, RecordRows, Scope
from socmaster.threats.exceptions import register as register_check

from . import filters, services
from .choices import CLOSED, RequestStatus
from .models import SupportRequest

OVERDUE = "gateway_overdue"
UNASSESSED = "gateway_unassessed"
OVER = "gateway requests"


def _index(**params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{reverse('gateway:index')}?{query}"


# --- home page ---------------------------------------------------------------------------------


def _at_my_gateways(user):
    return SupportRequest.objects.visible_to(user).filter(
        owner_id__in=services.gateway_organisation_ids(user)
    )


def _is_officer(user) -> bool:
    return bool(services.gateway_organisation_ids(user)) and not policy.is_read_only(user)


def _overdue(user) -> AttentionCount | None:
    """For a gateway officer: requests at their gateways waiting for a decision past the limit
    of their urgency (pauses not counted)."""
    if not _is_officer(user):
        return None
    n = len(services.overdue_decisions(_at_my_gateways(user)))
    return AttentionCount(
        n,
        "gateway requests waiting for a decision past their limit",
        _index(tab="queue", overdue="true"),
        urgent=bool(n),
    )


def _untriaged(user) -> AttentionCount | None:
    """For a gateway officer: requests at their gateways nobody has triaged yet."""
    if not _is_officer(user):
        return None
    n = _at_my_gateways(user).filter(status=RequestStatus.SUBMITTED).count()
    return AttentionCount(
        n, "gateway requests waiting for triage", _index(tab="queue", status="submitted")
    )


def _waiting_on_you(user) -> AttentionCount | None:
    """For a requester: the requests they asked for, or about threats they lead, whose clocks
    are paused for an answer. Shown only when there is one (a question that arises, not a
    standing duty)."""
    if not services.requesting_organisations(user):
        return None
    mine = filters.asked_by(SupportRequest.objects.visible_to(user), user)
    waiting = filters.waiting_on_requester(mine).exclude(status__in=CLOSED)
    n = waiting.count()
    if not n:
        return None
    return AttentionCount(
        n,
        "gateway requests waiting for your answer (their clocks are paused)",
        _index(tab="requests", mine="me", waiting="true", status="open"),
        urgent=True,
    )


# --- exceptions report -------------------------------------------------------------------------


def _row(r: SupportRequest, detail: str) -> dict:
    return {
        "record": r,
        "kind": "gateway request",
        "reference": r.reference,
        "label": r.capability.name,
        "url": r.get_absolute_url(),
        "owner": r.owner,
        "detail": detail,
    }


def _overdue_requests(scope: Scope) -> list[dict]:
    limits = services.decision_days()
    found = services.overdue_decisions(
        scope.records(SupportRequest, "threat").select_related("owner__region")
    )
    rows = []
    for r in sorted(found, key=lambda r: (r.submitted_at, r.pk)):
        waited = services.decision_clock(r)
        rows.append(
            _row(
                r,
                f"Waiting {waited.running_days:.0f} days for a decision "
                f"({r.get_urgency_display().lower()}: limit {limits[r.urgency]} days)"
                + (f", {waited.paused.days} days paused" if waited.paused.days else ""),
            )
        )
    return rows


def _unassessed_requests(scope: Scope) -> RecordRows:
    qs = (
        filters.unassessed(scope.records(SupportRequest, "threat"))
        .exclude(status__in=CLOSED)
        .select_related("owner__region", "capability", "threat")
        .order_by("submitted_at", "id")
    )

    def row(r):
        return _row(
            r,
            f"About {r.threat.reference}, which has no current moderated MoRiLE assessment; "
            f"{r.get_status_display().lower()}",
        )

    return RecordRows(qs, row)


# --- threat page -------------------------------------------------------------------------------


def _threat_panel(request, threat) -> dict | None:
    """The threat's support requests the user may see, and whether they may ask for one; left
    off for someone who can do neither (a partner)."""
    user = request.user
    found = list(
        SupportRequest.objects.visible_to(user)
        .filter(threat=threat)
        .with_related()
        .order_by("-submitted_at", "-id")[:50]
    )
    may_request = bool(services.requesting_organisations(user))
    if not found and not may_request:
        return None
    return {"support_requests": found, "may_request_support": may_request}


def register() -> None:
    register_nav_item(
        NavItem(
            "gateway",
            "Gateway",
            "gateway:index",
            740,
            visible=policy.is_police_user,
            active_prefix="/gateway/",
        )
    )
    register_attention(AttentionItem("gateway-overdue", 325, _overdue))
    register_attention(AttentionItem("gateway-waiting-on-you", 305, _waiting_on_you))
    register_attention(AttentionItem("gateway-triage", 415, _untriaged))
    register_check(
        ExceptionCheck(
            OVERDUE,
            "Gateway requests waiting for a decision past their limit",
            "A request should be decided within the days allowed for its urgency; time spent "
            "waiting on the requester for information is not counted.",
            _overdue_requests,
            over=OVER,
        )
    )
    register_check(
        ExceptionCheck(
            UNASSESSED,
            "Gateway requests about threats with no current moderated assessment",
            "Specialist support for a group that has never been assessed, or whose assessment "
            "is out of date, spends scarce capability without an agreed view of its harm.",
            _unassessed_requests,
            over=OVER,
        )
    )
    register_threat_panel(
        ThreatPanel(
            "gateway",
            "Support requests to the gateway",
            320,
            "gateway/_threat_panel.html",
            _threat_panel,
        )
    )
    from . import agenda  # the items of tasking and co-ordination meetings' agendas

    agenda.register()
