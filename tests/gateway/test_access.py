"""Who sees, changes and decides gateway requests: a hand-written table over the synthetic world
of ``tests/gateway/conftest.py`` (all invented).

The requests, every one from force A (Durham, North East):

    rocu1_region       to ROCU 1 (North East), region handling (the default)
    rocu1_named        to ROCU 1, named handling: only the owner and the organisations named
    referred_original  to ROCU 1, region handling, then referred to ROCU 2 (closed here)
    referred_received  the request ROCU 2 received: region handling in Yorkshire and the Humber,
                       shared with force A and ROCU 1
    nca_national       to the NCA, national handling

Each cell says, from docs/access-and-audit.md and the gateway's rules: ``s`` the person sees it
(``SupportRequest.objects.visible_to``; its pauses likewise), ``c`` may change it
(``policy.can(user, CHANGE)``: a working role in the owning organisation), ``d`` may decide it
(``services.can_decide``: a gateway officer of the owning organisation), ``-`` for no.
"""

from __future__ import annotations

import pytest

from socmaster.core import policy
from socmaster.gateway import services
from socmaster.gateway.models import RequestPause, SupportRequest

pytestmark = pytest.mark.django_db

REQUESTS = ("rocu1_region", "rocu1_named", "referred_original", "referred_received", "nca_national")

# fmt: off
TABLE = {
    #                  rocu1_region rocu1_named referred_original referred_received nca_national
    "requester":       ("s--",      "s--",      "s--",            "s--",            "s--"),
    "sio":             ("s--",      "s--",      "s--",            "s--",            "s--"),
    "officer1":        ("scd",      "scd",      "scd",            "s--",            "s--"),
    "officer2":        ("---",      "---",      "---",            "scd",            "s--"),
    "nca_officer":     ("---",      "---",      "---",            "---",            "scd"),
    "same_region":     ("s--",      "---",      "s--",            "---",            "s--"),
    "other_region":    ("---",      "---",      "---",            "s--",            "s--"),
    "partner":         ("---",      "---",      "---",            "---",            "---"),
    "inspector":       ("s--",      "s--",      "s--",            "s--",            "s--"),
    "national_admin":  ("---",      "---",      "---",            "---",            "sc-"),
    "rocu_admin":      ("sc-",      "sc-",      "sc-",            "s--",            "s--"),
}
# fmt: on


@pytest.fixture
def requests(gw, new_request):
    made = {
        "rocu1_region": new_request(),
        "rocu1_named": new_request(handling="named"),
        "referred_original": new_request(),
        "nca_national": new_request(gateway=gw.nca, handling="national"),
    }
    # The original was paused before it was referred (the referral closed the pause).
    services.pause(gw.officer1, made["referred_original"], asked="Which address?")
    made["referred_received"] = services.refer(
        gw.officer1,
        made["referred_original"],
        to=gw.rocu2,
        reason="capacity",
        notes="Yorkshire has a team free.",
    )
    for request in made.values():
        request.refresh_from_db()
        if request.is_open:
            services.pause(officer_of(gw, request), request, asked="Which vehicle?")
    assert RequestPause.objects.count() == len(made)
    return made


def officer_of(gw, request):
    return {gw.rocu1.pk: gw.officer1, gw.rocu2.pk: gw.officer2, gw.nca.pk: gw.nca_officer}[
        request.owner_id
    ]


def test_the_table_covers_everyone_and_every_request(gw):
    assert set(TABLE) == set(gw.people)
    assert all(len(row) == len(REQUESTS) for row in TABLE.values())


@pytest.mark.parametrize("who", list(TABLE))
def test_who_sees_changes_and_decides_each_request(gw, requests, who):
    user = gw.people[who]
    visible = set(SupportRequest.objects.visible_to(user).values_list("pk", flat=True))
    changeable = set(
        policy.restrict(SupportRequest.objects.all(), user, "change").values_list("pk", flat=True)
    )
    pauses = set(RequestPause.objects.visible_to(user).values_list("request_id", flat=True))
    failures = []
    for name, cell in zip(REQUESTS, TABLE[who], strict=True):
        request = requests[name]
        want_sees, want_changes, want_decides = (c != "-" for c in cell)
        got = {
            "visible_to": request.pk in visible,
            "can view": policy.can(user, "view", request),
            "pauses visible": request.pk in pauses,
            "can change": policy.can(user, "change", request),
            "restrict change": request.pk in changeable,
            "can_decide": services.can_decide(user, request),
        }
        want = {
            "visible_to": want_sees,
            "can view": want_sees,
            "pauses visible": want_sees,
            "can change": want_changes,
            "restrict change": want_changes,
            "can_decide": want_decides,
        }
        failures += [f"{name} {k}: {got[k]}, want {want[k]}" for k in want if got[k] != want[k]]
    assert not failures, f"{who}:\n" + "\n".join(failures)


@pytest.mark.parametrize("who", list(TABLE))
def test_a_pause_is_seen_exactly_as_its_request(gw, requests, who):
    user = gw.people[who]
    for pause in RequestPause.objects.select_related("request"):
        assert policy.can(user, "view", pause) == policy.can(user, "view", pause.request)


def test_a_gateway_queue_holds_only_its_own_requests(gw, requests):
    # The queue lists what awaits a decision at the person's own gateway, never a request they
    # see only because it is shared with them or national.
    assert {r.pk for r in services.queue(gw.officer1)} == {
        requests["rocu1_region"].pk,
        requests["rocu1_named"].pk,
    }
    assert {r.pk for r in services.queue(gw.officer2)} == {requests["referred_received"].pk}
    assert {r.pk for r in services.queue(gw.nca_officer)} == {requests["nca_national"].pk}
    for who in ("requester", "rocu_admin", "inspector", "national_admin", "partner"):
        assert services.queue(gw.people[who]) == [], who
