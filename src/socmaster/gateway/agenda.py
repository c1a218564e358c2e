"""The gateway's items on a tasking and co-ordination meeting's agenda (``core.registry``
agenda sources): requests awaiting a decision, the overdue ones first and marked, and the demand
left unmet since the last meeting (declined or referred for lack of capacity). ``register()`` is
called from ``registry.register()``.

Requests count for a meeting when the gateway that decides them or the organisation that asked
is one the meeting covers (or, for a force or area meeting, when they are about a threat
affecting its area); only requests the meeting's creator may see are used.
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import reverse

from socmaster.core.registry import AgendaEntry, AgendaScope, AgendaSource, register_agenda_source

from . import services
from .choices import AWAITING_DECISION, UNMET_REASONS, RequestStatus
from .models import SupportRequest

REQUEST = "gateway.supportrequest"


def _requests(scope: AgendaScope):
    requests = SupportRequest.objects.visible_to(scope.user)
    return scope.covering(requests, "owner", "requesting_organisation", areas="threat__areas")


def _about(request) -> str:
    if request.threat_id:
        return f"{request.threat.reference} {request.threat.name}"
    return (request.threat_description or "a threat not on the master list").splitlines()[0][:80]


def awaiting_decision(scope: AgendaScope) -> list[AgendaEntry]:
    """Requests waiting for the gateway's decision: those past the days allowed for their
    urgency first (pauses for the requester's answer not counted), then the oldest."""
    now = scope.until
    limits = services.decision_days()
    waiting = (
        _requests(scope)
        .filter(status__in=AWAITING_DECISION)
        .with_related()
        .select_related("owner")
        .prefetch_related("pauses")
        .order_by("submitted_at", "id")
    )
    overdue = services.overdue_decisions(waiting, now)
    overdue_ids = {r.pk for r in overdue}
    listed = sorted(overdue, key=lambda r: (r.submitted_at, r.pk))[: scope.limit]
    room = scope.limit - len(listed)
    if room > 0:
        listed += list(waiting.exclude(pk__in=overdue_ids)[:room])
    total = waiting.count()

    def entry(r) -> AgendaEntry:
        clock = services.decision_clock(r, now)
        paused = f", {clock.paused.days} days paused" if clock.paused.days else ""
        waited = f"waiting {clock.running_days:.0f} days for a decision{paused}"
        if r.pk in overdue_ids:
            waited = (
                f"Overdue: {waited} (limit {limits[r.urgency]} days at "
                f"{r.get_urgency_display().lower()} urgency)"
            )
        else:
            waited = waited[:1].upper() + waited[1:]
        return AgendaEntry.about(
            r,
            f"{r.reference}: {r.capability.name} for {_about(r)}",
            f"{waited} · {r.get_status_display()} · asked by "
            f"{r.requesting_organisation.short_name} of {r.owner.short_name}"
            + (" · threat to life" if r.threat_to_life else ""),
            threat=r.threat if r.threat_id else None,
        )

    entries = [entry(r) for r in listed]
    url = f"{reverse('gateway:index')}?tab=queue"
    return entries + scope.more(total, len(entries), "requests awaiting a decision", url)


def unmet_demand(scope: AgendaScope) -> list[AgendaEntry]:
    """Per gateway and capability, the requests declined or referred for lack of capacity since
    the last meeting: figures, not records (police attendees see them, partners do not)."""
    unmet = (
        _requests(scope)
        .filter(decided_at__gte=scope.since_start)
        .filter(
            Q(status=RequestStatus.DECLINED, decline_reason__in=UNMET_REASONS)
            | Q(status=RequestStatus.REFERRED, referral_reason__in=UNMET_REASONS)
        )
        .values("owner__key", "owner__short_name", "capability__name", "capability__code")
        .annotate(
            declined=Count("id", filter=Q(status=RequestStatus.DECLINED)),
            referred=Count("id", filter=Q(status=RequestStatus.REFERRED)),
        )
        .order_by("capability__name", "owner__short_name")
    )
    entries = []
    for row in unmet:
        n = row["declined"] + row["referred"]
        entries.append(
            AgendaEntry.figure_of(
                f"{row['capability__name']} at {row['owner__short_name']}: {n} request"
                f"{'s' if n != 1 else ''} not met for lack of capacity",
                f"{row['declined']} declined, {row['referred']} referred elsewhere since "
                f"{scope.since:%d %b %Y}",
                url=f"{reverse('gateway:demand')}?gateway={row['owner__key']}"
                f"&capability={row['capability__code']}",
            )
        )
    return entries


SOURCES = [
    AgendaSource(
        "gateway_awaiting",
        "Gateway requests awaiting a decision",
        600,
        awaiting_decision,
        (REQUEST,),
        "Requests for specialist capabilities waiting for the gateway's decision; those past "
        "the days allowed for their urgency are marked overdue.",
    ),
    AgendaSource(
        "gateway_unmet",
        "Unmet demand since the last meeting",
        610,
        unmet_demand,
        (),
        "Requests declined or referred elsewhere for lack of capacity, per capability.",
    ),
]


def register() -> None:
    for source in SOURCES:
        register_agenda_source(source)
