"""A small synthetic gateway world, for the gateway's tests and any other app's that need one.

Two regions (North East, with its ROCU and two of its forces; Yorkshire and the Humber, with its
ROCU), the NCA, and one person per relation (every name is invented). Capabilities come from the
migration; the offers are made here:

    capability               offered by                       acceptance criteria
    rib (intelligence)       ROCU 1, ROCU 2, the NCA          none
    surveillance             ROCU 1, ROCU 2                   the defaults (threat, tier 1-3,
                                                              5 days' notice, authorities)
    economic_crime           ROCU 1 only                      none

Threats, all owned by force A (Durham) with region handling unless said: ``assessed`` (a
moderated MoRiLE assessment with recent evidence), ``unassessed`` (Tier 2, never assessed) and
``hidden`` (West Yorkshire's, which nobody in force A may see).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.utils import timezone

from socmaster.assessments import services as assessment_services
from socmaster.gateway import services
from socmaster.gateway.models import Capability, CapabilityOffer
from socmaster.organisations.models import Organisation
from socmaster.threats.models import Threat

TODAY = timezone.localdate()

#: Who is who (organisation key, role). The NCA's gateway officer decides requests it owns.
PEOPLE = {
    "requester": ("force-durham", "analyst"),
    "sio": ("force-durham", "sio"),
    "officer1": ("rocu-north-east", "gateway_officer"),
    "officer2": ("rocu-yorkshire-and-the-humber", "gateway_officer"),
    "nca_officer": ("national-crime-agency", "gateway_officer"),
    "same_region": ("force-cleveland", "analyst"),  # force B
    "other_region": ("force-west-yorkshire", "analyst"),
    "partner": ("partner-durham-county-council", "partner_user"),
    "inspector": ("hmicfrs", "inspector"),
    "national_admin": ("national-crime-agency", "administrator"),
    "rocu_admin": ("rocu-north-east", "administrator"),
}


@dataclass
class GatewayWorld:
    region1: Organisation
    rocu1: Organisation
    force_a: Organisation
    force_b: Organisation
    region2: Organisation
    rocu2: Organisation
    nca: Organisation
    people: dict
    capabilities: dict
    offers: dict
    threats: dict
    moderator: object = None
    extra: dict = field(default_factory=dict)

    def __getattr__(self, name):
        # world.requester, world.officer1, ...: the people by name.
        people = self.__dict__.get("people", {})
        if name in people:
            return people[name]
        raise AttributeError(name)


def request_values(**overrides) -> dict:
    """What a requester fills in (synthetic), with ``overrides``."""
    values = {
        "asked_for": "Mobile surveillance of two synthetic suspects for a week.",
        "justification": "To identify the storage address of a synthetic drugs supply line.",
        "needed_from": TODAY + dt.timedelta(days=14),
        "needed_to": TODAY + dt.timedelta(days=21),
        "operation": "Op Synthetic",
        "urgency": "routine",
        "threat_to_life": False,
        "authorities": ["directed_surveillance"],
    }
    values.update(overrides)
    return values


def answers(pick: int) -> dict:
    """An answer for every factor of the current scheme: the pick-th allowed one (clamped)."""
    scheme = assessment_services.current_scheme().engine_scheme()
    return {f.key: f.answers[min(pick, len(f.answers) - 1)].key for f in scheme.factors}


def _moderated_assessment(assessor, moderator, threat, pick: int = 2):
    assessment = assessment_services.create_assessment(
        assessor,
        threat,
        answers=answers(pick),
        evidence_from=TODAY - dt.timedelta(days=120),
        evidence_to=TODAY - dt.timedelta(days=10),
        review_due=TODAY + dt.timedelta(days=180),
    )
    assessment_services.submit_assessment(assessor, assessment)
    assessment_services.moderate_assessment(moderator, assessment)
    assessment.refresh_from_db()
    return assessment


@pytest.fixture
def gw(db, make_user) -> GatewayWorld:
    """The world described in this module's docstring."""
    key = Organisation.objects.get
    people = {
        name: make_user(org_key, role, username=f"gw-{name.replace('_', '-')}")
        for name, (org_key, role) in PEOPLE.items()
    }
    moderator = make_user("rocu-north-east", "moderator", username="gw-moderator")
    world = GatewayWorld(
        region1=key(key="region-north-east"),
        rocu1=key(key="rocu-north-east"),
        force_a=key(key="force-durham"),
        force_b=key(key="force-cleveland"),
        region2=key(key="region-yorkshire-and-the-humber"),
        rocu2=key(key="rocu-yorkshire-and-the-humber"),
        nca=key(key="national-crime-agency"),
        people=people,
        capabilities={
            code: Capability.objects.get(code=code)
            for code in ("rib", "surveillance", "economic_crime")
        },
        offers={},
        threats={},
        moderator=moderator,
    )
    for code, organisations in (
        ("rib", (world.rocu1, world.rocu2, world.nca)),
        ("surveillance", (world.rocu1, world.rocu2)),
        ("economic_crime", (world.rocu1,)),
    ):
        for organisation in organisations:
            world.offers[(code, organisation.key)] = CapabilityOffer.objects.create(
                capability=world.capabilities[code],
                organisation=organisation,
                team=f"{organisation.short_name} {code} team",
                monthly_capacity=20,
            )
    world.threats["assessed"] = Threat.objects.create(
        reference="GW-T1",
        name="Synthetic assessed OCG",
        owner=world.force_a,
        handling="region",
        threat_type="ocg",
        lro=people["requester"],
    )
    world.extra["assessment"] = _moderated_assessment(
        people["requester"], moderator, world.threats["assessed"], pick=3
    )
    world.threats["assessed"].refresh_from_db()
    world.threats["unassessed"] = Threat.objects.create(
        reference="GW-T2",
        name="Synthetic unassessed OCG",
        owner=world.force_a,
        handling="region",
        threat_type="ocg",
        tier=2,
    )
    world.threats["hidden"] = Threat.objects.create(
        reference="GW-T3",
        name="Synthetic West Yorkshire OCG",
        owner=key(key="force-west-yorkshire"),
        handling="region",
        threat_type="ocg",
        tier=1,
    )
    return world


@pytest.fixture
def new_request(gw):
    """new_request(capability="rib", gateway=gw.rocu1, threat="unassessed", **values): a request
    submitted by the requester in force A through the service."""

    def make(capability="rib", gateway=None, threat="unassessed", *, user=None, **values):
        handling = values.pop("handling", "region")
        return services.submit_request(
            user or gw.requester,
            capability=gw.capabilities[capability],
            gateway=gateway or gw.rocu1,
            requesting_organisation=values.pop("requesting_organisation", gw.force_a),
            threat=gw.threats[threat] if isinstance(threat, str) else threat,
            handling=handling,
            **request_values(**values),
        )

    return make
