"""A small synthetic world for the meetings' tests (every name is invented).

People (organisation, role):

    chair        ROCU North East, chief officer     chairs the regional meeting
    secretary    ROCU North East, analyst           creates it (a working role in the ROCU)
    durham       Durham, analyst                    a force in the region
    durham_lro   Durham, LRO
    partner      Durham County Council, partner user (attends, so the meeting is shared with it)
    outsider     Middlesbrough Council, partner user (not attending)
    yorkshire    West Yorkshire, analyst            another region
    officer      ROCU North East, gateway officer
    inspector    HMICFRS, inspector

``threat(...)`` makes a threat (Durham's, region handling, unless told otherwise);
``regional(...)`` creates the North East regional meeting through the service.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.utils import timezone

from socmaster.organisations.models import Organisation
from socmaster.tasking.services import meetings as services
from socmaster.threats.models import Threat

TODAY = timezone.localdate()
BODY = "North East regional tasking and co-ordination group"
PEOPLE = {
    "chair": ("rocu-north-east", "chief_officer"),
    "secretary": ("rocu-north-east", "analyst"),
    "durham": ("force-durham", "analyst"),
    "durham_lro": ("force-durham", "lro"),
    "partner": ("partner-durham-county-council", "partner_user"),
    "outsider": ("partner-middlesbrough-council", "partner_user"),
    "yorkshire": ("force-west-yorkshire", "analyst"),
    "officer": ("rocu-north-east", "gateway_officer"),
    "inspector": ("hmicfrs", "inspector"),
}
_n = itertools.count(1)


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def moment(n: int) -> dt.datetime:
    """``n`` days from now (negative: ago)."""
    return timezone.now() + dt.timedelta(days=n)


@dataclass
class World:
    people: dict
    orgs: dict
    made: list = field(default_factory=list)

    def __getattr__(self, name):
        people = self.__dict__.get("people", {})
        if name in people:
            return people[name]
        raise AttributeError(name)

    def org(self, key: str) -> Organisation:
        if key not in self.orgs:
            self.orgs[key] = Organisation.objects.get(key=key)
        return self.orgs[key]

    def threat(self, owner: str = "force-durham", *, shared=(), **fields) -> Threat:
        n = next(_n)
        values = {
            "reference": f"TCG-{n:04d}",
            "name": f"Synthetic group {n}",
            "handling": "region",
            "threat_type": "ocg",
        }
        values.update(fields)
        if "score" in values and values["score"] is not None:
            values["score"] = Decimal(str(values["score"]))
        threat = Threat.objects.create(owner=self.org(owner), **values)
        if shared:
            threat.shared_with.set([self.org(k) for k in shared])
        return threat

    def regional(self, held_on=None, *, user=None, body=BODY, complete=True, **values):
        """The North East regional meeting (created by the secretary, chaired by the chair,
        attended by the partner); with ``complete``, its background sections worked out too,
        as the background task does once it is created."""
        values.setdefault("attendees", [self.partner, self.durham])
        values.setdefault("organisations", [self.org("partner-durham-county-council")])
        built = services.create_meeting(
            user or self.secretary,
            level="regional",
            owner=self.org("rocu-north-east"),
            body=body,
            held_on=held_on or TODAY,
            chair=values.pop("chair", self.chair),
            **values,
        )
        if complete:
            services.complete_agenda(built.meeting)
        return built

    def items(self, meeting, kind=None, user=None):
        """Titles of the meeting's items (of ``kind``), as ``user`` (default: everyone) sees
        them, in agenda order."""
        from socmaster.tasking.models import AgendaItem

        qs = AgendaItem.objects.visible_to(user) if user is not None else AgendaItem.objects.all()
        qs = qs.filter(meeting=meeting).order_by("position", "id")
        if kind:
            qs = qs.filter(kind=kind)
        return list(qs.values_list("title", flat=True))


@pytest.fixture
def world(db, make_user) -> World:
    people = {
        name: make_user(org_key, role, username=f"tcg-{name.replace('_', '-')}")
        for name, (org_key, role) in PEOPLE.items()
    }
    return World(people=people, orgs={})
