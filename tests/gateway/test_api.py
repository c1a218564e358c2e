"""The gateway API (synthetic data, see ``conftest.py``): requests listed and opened through the
access policy, submitted through the service with field-level 400s that store nothing, every
step of the workflow as an action (each calls its service; a bad one is a 400 naming the field
and changes nothing; a request the user may not see is a 404 like a missing one), the
capabilities as read-only reference data, and the OpenAPI schema that documents it all."""

from __future__ import annotations

import datetime as dt

import pytest

from socmaster.core.models import AuditEntry
from socmaster.gateway import services
from socmaster.gateway.models import SupportRequest

from .conftest import TODAY, request_values

pytestmark = pytest.mark.django_db
URL = "/api/gateway-requests/"


def _body(**overrides) -> dict:
    values = request_values()
    body = {
        "capability": "rib",
        "gateway": "rocu-north-east",
        "requesting_organisation": "force-durham",
        "threat": "GW-T1",
        **{k: v.isoformat() if isinstance(v, dt.date) else v for k, v in values.items()},
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def _step(client, request, step, **data):
    return client.post(f"{URL}{request.reference}/{step}/", data, format="json")


def test_submit_and_read_back(gw, api):
    response = api(gw.requester).post(URL, _body(), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    r = SupportRequest.objects.get(reference=data["reference"])
    assert r.owner == gw.rocu1 and r.threat == gw.threats["assessed"]
    assert data["gateway"] == "rocu-north-east" and data["status"] == "submitted"
    assert data["score"] == services.queue_score(r)
    detail = api(gw.officer1).get(f"{URL}{r.reference}/").json()
    assert {c["kind"] for c in detail["acceptance"]} == set()  # rib has no criteria
    assert [f["label"] for f in detail["factors"]][:2] == ["Tier", "MoRiLE harm"]
    assert detail["unassessed"] is False and detail["decision_clock"]["stopped"] is False


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"threat": "GW-T3"}, "threat", "No such threat."),  # hidden: as if missing
        ({"threat": "GW-NOPE"}, "threat", "No such threat."),
        ({"asked_for": ""}, "asked_for", "Say what is asked for."),
        (
            {"capability": "economic_crime", "gateway": "rocu-yorkshire-and-the-humber"},
            "gateway",
            None,
        ),
        ({"needed_from": "2020-01-01"}, "needed_from", "cannot be in the past"),
        ({"authorities": ["telepathy"]}, "authorities", None),
        ({"threat": None, "threat_description": ""}, "threat_description", None),
    ],
)
def test_a_bad_submission_is_a_field_level_400_and_stores_nothing(
    gw, api, overrides, field, message
):
    response = api(gw.requester).post(URL, _body(**overrides), format="json")
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors
    if message:
        assert any(message in str(e) for e in errors[field])
    assert not SupportRequest.objects.exists()


def test_lists_and_pages_hold_only_what_the_user_may_see(gw, new_request, api):
    r = new_request()
    restricted = new_request(handling="named")
    listed = {i["reference"]: i for i in api(gw.requester).get(URL).json()["results"]}
    assert set(listed) == {r.reference, restricted.reference}
    assert listed[restricted.reference]["is_summary"] is True
    assert "asked_for" not in listed[restricted.reference]
    assert set(i["reference"] for i in api(gw.same_region).get(URL).json()["results"]) == {
        r.reference
    }
    for person in (gw.partner, gw.other_region):
        client = api(person)
        assert client.get(URL).json()["results"] == []
        hidden = client.get(f"{URL}{r.reference}/")
        missing = client.get(f"{URL}GW-NOPE/")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.content == missing.content
        step = _step(client, r, "triage")
        assert (
            step.status_code == 404
            and step.content
            == _step(client, type("R", (), {"reference": "GW-NOPE"}), "triage").content
        )
    # A restricted request is opened with a reason, and the opening is audited.
    client = api(gw.requester)
    assert client.get(f"{URL}{restricted.reference}/").status_code == 403
    opened = client.get(f"{URL}{restricted.reference}/", HTTP_X_REASON="Synthetic follow-up")
    assert opened.status_code == 200
    assert AuditEntry.objects.filter(
        action="view", record_id=str(restricted.pk), reason="Synthetic follow-up"
    ).exists()


def test_the_workflow_through_the_api(gw, new_request, api):
    from socmaster.disruptions.models import Disruption, Standard

    r = new_request(threat="assessed")
    officer = api(gw.officer1)
    assert _step(officer, r, "triage", notes="Synthetic").json()["status"] == "triaged"
    offer = gw.offers[("rib", "rocu-north-east")]
    start, end = TODAY + dt.timedelta(days=14), TODAY + dt.timedelta(days=21)
    bad = _step(
        officer,
        r,
        "accept",
        offer=offer.pk,
        committed_from=end.isoformat(),
        committed_to=start.isoformat(),
        committed_capacity="3",
    )
    assert bad.status_code == 400 and "committed_to" in bad.json()
    bad = _step(
        officer,
        r,
        "accept",
        offer=999999,
        committed_from=start.isoformat(),
        committed_to=end.isoformat(),
        committed_capacity="3",
    )
    assert bad.status_code == 400 and "offer" in bad.json()
    bad = _step(
        officer,
        r,
        "accept",
        offer=offer.pk,
        committed_from="soon",
        committed_to=end.isoformat(),
        committed_capacity="3",
    )
    assert bad.status_code == 400 and "committed_from" in bad.json()
    r.refresh_from_db()
    assert r.status == "triaged" and r.offer_id is None
    ok = _step(
        officer,
        r,
        "accept",
        offer=offer.pk,
        committed_from=start.isoformat(),
        committed_to=end.isoformat(),
        committed_capacity="3",
    )
    assert ok.status_code == 200 and ok.json()["team"] == offer.team
    assert _step(officer, r, "start").json()["status"] == "in_progress"
    Disruption.objects.create(
        reference="GW-D9",
        threat=gw.threats["assessed"],
        standard=Standard.objects.get(is_current=True),
        event_date=TODAY,
        recording_organisation=gw.force_a,
        four_p="pursue",
        category="major",
        status="approved",
        recorder=gw.requester,
    )
    bad = _step(officer, r, "complete", outcome="Synthetic", disruptions=["GW-D9", "GW-NOPE"])
    assert bad.status_code == 400 and "disruptions" in bad.json()
    assert _step(officer, r, "complete", outcome="").status_code == 400
    done = _step(officer, r, "complete", outcome="Synthetic: seized", disruptions=["GW-D9"])
    assert done.status_code == 200
    assert done.json()["status"] == "completed" and done.json()["disruptions"] == ["GW-D9"]
    seen = api(gw.requester).get(f"{URL}{r.reference}/").json()
    assert seen["status"] == "completed" and seen["outcome"] == "Synthetic: seized"


def test_decline_refer_pause_resume_override_assign_withdraw(gw, new_request, api, make_user):
    officer, requester = api(gw.officer1), api(gw.requester)
    r = new_request()
    assert _step(officer, r, "decline", decline_reason="nope", decision_notes="").json().keys() >= {
        "decline_reason",
        "decision_notes",
    }
    assert _step(officer, r, "pause", asked="").status_code == 400
    assert _step(officer, r, "pause", asked="Synthetic: which car?").json()["waiting_on_requester"]
    assert _step(requester, r, "resume", answer="").status_code == 400
    resumed = _step(requester, r, "resume", answer="Synthetic: the red one")
    assert (
        resumed.status_code == 200
        and resumed.json()["pauses"][0]["answer"] == "Synthetic: the red one"
    )
    assert (
        _step(officer, r, "override", override_score=5000, override_reason="x").status_code == 400
    )
    assert _step(officer, r, "override", override_score=10, override_reason="").status_code == 400
    over = _step(officer, r, "override", override_score=700, override_reason="Synthetic: urgent")
    assert over.json()["score"] == 700 and over.json()["override_reason"] == "Synthetic: urgent"
    colleague = make_user("rocu-north-east", "gateway_officer", username="gw-api-colleague")
    assert _step(officer, r, "assign", assigned_to="nobody-at-all").status_code == 400
    assert _step(officer, r, "assign", assigned_to=gw.requester.username).status_code == 400
    assert (
        _step(officer, r, "assign", assigned_to=colleague.username).json()["assigned_to"]
        == colleague.username
    )
    # Only the requester withdraws; only the gateway decides.
    assert _step(officer, r, "withdraw", reason="Synthetic").status_code == 403
    assert _step(requester, r, "triage").status_code == 403
    r.refresh_from_db()
    assert r.status == "submitted"
    assert (
        _step(requester, r, "withdraw", reason="Synthetic: no longer needed").json()["status"]
        == "withdrawn"
    )

    other = new_request()
    bad = _step(
        officer,
        other,
        "refer",
        referred_to="rocu-north-east",
        referral_reason="capacity",
        decision_notes="Synthetic",
    )
    assert bad.status_code == 400 and "referred_to" in bad.json()
    referred = _step(
        officer,
        other,
        "refer",
        referred_to="rocu-yorkshire-and-the-humber",
        referral_reason="capacity",
        decision_notes="Synthetic: no team",
    )
    assert referred.status_code == 200 and referred.json()["status"] == "referred"
    received = SupportRequest.objects.get(reference=referred.json()["referred_to"])
    assert received.owner == gw.rocu2


def test_a_step_the_state_does_not_allow_is_a_400_naming_the_status(gw, new_request, api):
    r = new_request()
    response = _step(api(gw.officer1), r, "start")
    assert response.status_code == 400 and "status" in response.json()


def test_no_other_way_to_change_a_request(gw, new_request, api):
    r = new_request()
    client = api(gw.officer1)
    assert (
        client.patch(f"{URL}{r.reference}/", {"status": "completed"}, format="json").status_code
        == 405
    )
    assert client.delete(f"{URL}{r.reference}/").status_code == 405


def test_capabilities_are_read_only_reference_data(gw, api):
    client = api(gw.partner)
    listed = client.get("/api/capabilities/?search=surveillance").json()["results"]
    surveillance = next(c for c in listed if c["code"] == "surveillance")
    assert {o["organisation"] for o in surveillance["offers"]} == {
        "rocu-north-east",
        "rocu-yorkshire-and-the-humber",
    }
    assert {"kind": "notice_days", "days": 5} in surveillance["acceptance_criteria"]
    assert client.get("/api/capabilities/surveillance/").status_code == 200
    assert (
        api(gw.national_admin).post("/api/capabilities/", {"code": "x"}, format="json").status_code
        == 405
    )


def test_the_schema_documents_the_gateway(gw, api):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    for step in (
        "triage",
        "accept",
        "decline",
        "refer",
        "start",
        "complete",
        "withdraw",
        "pause",
        "resume",
        "assign",
        "override",
    ):
        operation = paths[f"/api/gateway-requests/{{reference}}/{step}/"]["post"]
        assert operation["description"], step
    assert "/api/capabilities/{code}/" in paths
    assert api(gw.requester).get("/api/schema/").status_code == 200


def test_the_list_takes_the_same_queries_whatever_its_size(gw, new_request, api):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.pause(gw.officer1, new_request(), asked="Synthetic: which street?")
    client = api(gw.officer1)
    client.get(URL)  # the user's compartments are looked up once, then kept
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(URL).json()["results"]) == 1
    for n in range(5):
        services.pause(gw.officer1, new_request(), asked=f"Synthetic question {n}")
    with CaptureQueriesContext(connection) as six:
        assert len(client.get(URL).json()["results"]) == 6
    assert len(six) == len(one)
