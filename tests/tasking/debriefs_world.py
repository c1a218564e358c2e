"""A small synthetic world for the debrief tests (every name is invented).

People (organisation, roles):

    lro            Durham        lro, analyst     leads the Durham threats
    colleague      Durham        analyst          a working role in the owning force
    admin          Durham        administrator
    cleveland      Cleveland     analyst          same region as Durham
    kent           Kent          analyst, lro     another region
    council        Durham County Council  partner_user   Durham shares its threats with it
    middlesbrough  Middlesbrough Council  partner_user   shared nothing
    inspector      HMICFRS       inspector
    officer        North East ROCU  gateway_officer
    requester      Durham        analyst          asks the ROCU for support

Threats are made with :func:`make_threat` and closed with :func:`close` (through the threat
services); gateway requests are made and completed with :func:`completed_request` (through the
gateway services).
"""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from socmaster.gateway import services as gateway_services
from socmaster.gateway.models import Capability, CapabilityOffer
from socmaster.organisations.models import Organisation
from socmaster.threats import services as threat_services
from socmaster.threats.models import CrimeType, Phase, Threat

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)
CLOSED = "Closed – dismantled"
_n = itertools.count(1)

PEOPLE = {
    "lro": ("force-durham", ("lro", "analyst")),
    "colleague": ("force-durham", ("analyst",)),
    "admin": ("force-durham", ("administrator",)),
    "cleveland": ("force-cleveland", ("analyst",)),
    "kent": ("force-kent", ("analyst", "lro")),
    "council": ("partner-durham-county-council", ("partner_user",)),
    "middlesbrough": ("partner-middlesbrough-council", ("partner_user",)),
    "inspector": ("hmicfrs", ("inspector",)),
    "officer": ("rocu-north-east", ("gateway_officer",)),
    "requester": ("force-durham", ("analyst",)),
}


def org(key: str) -> Organisation:
    return Organisation.objects.get(key=key)


def make_people(make_user) -> dict:
    """The people of the table above (the test modules' ``people`` fixture)."""
    return {
        name: make_user(key, *roles, username=f"db-{name}") for name, (key, roles) in PEOPLE.items()
    }


def make_threat(lro, *, owner="force-durham", handling="region", shared=(), crime=("drugs",)):
    threat = Threat.objects.create(
        reference=f"DB-T{next(_n)}",
        name="Synthetic harbour network",
        operation_names="Op Synthetic Tide",
        owner=org(owner),
        handling=handling,
        threat_type="ocg",
        lro=lro,
        opened_on=TODAY - 400 * DAY,
    )
    threat.shared_with.set([org(k) for k in shared])
    threat.crime_types.set(CrimeType.objects.filter(code__in=crime))
    return threat


def close(user, threat, *, on=None, phase=CLOSED):
    """Close ``threat`` through the threat services (phase, closing date and reason)."""
    return threat_services.update_threat(
        user,
        threat,
        phase=Phase.objects.get(name=phase),
        closed_on=on or TODAY,
        closed_reason="Synthetic: the group was dismantled.",
    )


def completed_request(officer, requester, *, threat=None, completed_days_ago=0):
    """A request for the regional intelligence bureau (no acceptance criteria), submitted by
    ``requester`` for Durham, accepted, started and completed by ``officer`` of the ROCU."""
    rocu = org("rocu-north-east")
    capability = Capability.objects.get(code="rib")
    offer, _ = CapabilityOffer.objects.get_or_create(
        capability=capability,
        organisation=rocu,
        team="NE RIB team",
        defaults={"monthly_capacity": 20},
    )
    request = gateway_services.submit_request(
        requester,
        capability=capability,
        gateway=rocu,
        requesting_organisation=org("force-durham"),
        threat=threat,
        handling="region",
        asked_for="Synthetic: research the associates of two suspects.",
        justification="Synthetic: to find the storage address.",
        needed_from=TODAY + 7 * DAY,
        needed_to=TODAY + 14 * DAY,
        operation="Op Synthetic Lantern",
        urgency="routine",
        threat_to_life=False,
        authorities=[],
        **({} if threat is not None else {"threat_description": "Synthetic: an unnamed group."}),
    )
    gateway_services.accept(
        officer,
        request,
        offer=offer,
        committed_from=TODAY + 7 * DAY,
        committed_to=TODAY + 14 * DAY,
        committed_capacity=3,
    )
    gateway_services.start(officer, request)
    request = gateway_services.complete(officer, request, outcome="Synthetic: addresses found.")
    if completed_days_ago:
        type(request).objects.filter(pk=request.pk).update(
            completed_at=timezone.now() - completed_days_ago * DAY
        )
        request.refresh_from_db()
    return request
