"""Meetings and their actions over the API: create a meeting (its agenda built) through the
service with field-level errors, read meetings with their agendas (audited), add and close
actions. Partner views are in test_access.py. Synthetic data."""

from __future__ import annotations

import pytest

from socmaster.core.models import AuditEntry
from socmaster.tasking.models import Meeting, MeetingAction
from socmaster.tasking.services import meetings as services
from tests.tasking import meetings_world
from tests.tasking.meetings_world import BODY, TODAY, days

pytestmark = pytest.mark.django_db
world = meetings_world.world  # the fixture


def _payload(**overrides) -> dict:
    data = {
        "level": "regional",
        "owner": "rocu-north-east",
        "body": BODY,
        "held_on": TODAY.isoformat(),
        "chair": "tcg-chair",
        "attendees": ["tcg-partner"],
        "organisations": ["partner-durham-county-council"],
    }
    data.update(overrides)
    return data


def test_creating_a_meeting_builds_its_agenda(world, api):
    world.threat(name="Unled", score=2)
    response = api(world.secretary).post("/api/meetings/", _payload(), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "draft" and data["handling"] == "region"
    assert data["organisations"] == ["partner-durham-county-council"]
    assert data["agenda_counts"]["no_lro"] == 1
    sections = {s["kind"]: s for s in data["agenda"]}
    assert sections["no_lro"]["items"][0]["title"].endswith("Unled")
    assert sections["no_lro"]["items"][0]["threat"].startswith("TCG-")
    assert Meeting.objects.get().created_by == world.secretary
    # The exceptions are worked out by the background task (run at once in tests).
    assert sections["exceptions"]["items"] and not sections["exceptions"]["items"][0]["pending"]


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"chair": "nobody"}, {"chair": ["No such user."]}),
        ({"attendees": ["tcg-partner", "ghost"]}, {"attendees": ["No such user."]}),
        ({"level": "parish"}, {"level": ['"parish" is not a valid choice.']}),
        (
            {"owner": "force-durham"},
            {"owner": ["A regional meeting is held by the region's ROCU."]},
        ),
        ({"top_n": 0}, {"top_n": ["List from 1 to 50 top threats."]}),
        ({"handling": "owner"}, {"handling": ['"owner" is not a valid choice.']}),
        (
            {"attendees": ["tcg-yorkshire"]},
            {
                "attendees": [
                    "These people could not see this meeting: tcg-yorkshire. Add their "
                    "organisations to the organisations attending, or choose who may see it."
                ]
            },
        ),
    ],
)
def test_bad_input_is_a_400_with_the_fields_message_and_nothing_written(
    world, api, overrides, errors
):
    response = api(world.secretary).post("/api/meetings/", _payload(**overrides), format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert not Meeting.objects.exists()


def test_missing_fields_are_named(world, api):
    response = api(world.secretary).post("/api/meetings/", {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"level", "owner", "body", "held_on", "chair"}


def test_reading_meetings_lists_and_opens_them_audited(world, api):
    meeting = world.regional().meeting
    world.regional(days(1), body="Another group")
    client = api(world.durham)
    listed = client.get("/api/meetings/?body=" + BODY).json()["results"]
    assert [m["id"] for m in listed] == [meeting.pk] and "agenda" not in listed[0]
    opened = client.get(f"/api/meetings/{meeting.pk}/")
    assert opened.status_code == 200 and isinstance(opened.json()["agenda"], list)
    assert AuditEntry.objects.filter(
        action="view", record_type="tasking.meeting", record_id=str(meeting.pk)
    ).exists()
    assert client.put(f"/api/meetings/{meeting.pk}/", {}, format="json").status_code == 405


def test_a_restricted_meeting_is_a_summary_in_lists_and_needs_a_reason(world, api):
    meeting = world.regional(handling="named", attendees=[world.partner]).meeting
    client = api(world.partner)
    listed = client.get("/api/meetings/").json()["results"]
    assert listed[0]["is_summary"] is True and "chair" not in listed[0]
    assert client.get(f"/api/meetings/{meeting.pk}/").status_code == 403
    opened = client.get(f"/api/meetings/{meeting.pk}/", HTTP_X_REASON="Partnership meeting")
    assert opened.status_code == 200


def test_actions_are_added_listed_and_closed(world, api):
    meeting = world.regional(days(-1)).meeting
    item = services.add_item(world.chair, meeting, title="Brief partners")
    chair = api(world.chair)
    bad = chair.post(
        "/api/meeting-actions/",
        {"item": item.pk, "description": "", "owner": "ghost", "due_on": "2020-01-01"},
        format="json",
    )
    assert bad.status_code == 400
    assert set(bad.json()) == {"description", "owner"}
    early = chair.post(
        "/api/meeting-actions/",
        {"item": item.pk, "description": "Brief", "owner": "tcg-partner", "due_on": "2020-01-01"},
        format="json",
    )
    assert early.json() == {"due_on": ["The due date cannot be before the meeting."]}
    created = chair.post(
        "/api/meeting-actions/",
        {
            "item": item.pk,
            "description": "Brief the council",
            "owner": "tcg-partner",
            "due_on": days(7).isoformat(),
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    partner = api(world.partner)
    mine = partner.get("/api/meeting-actions/?mine=yes&status=open").json()["results"]
    assert [a["id"] for a in mine] == [pk] and mine[0]["meeting"] == meeting.pk
    refused = api(world.durham).post(f"/api/meeting-actions/{pk}/close/", {"outcome": "Done"})
    assert refused.status_code == 403
    blank = partner.post(f"/api/meeting-actions/{pk}/close/", {"outcome": ""}, format="json")
    assert blank.json() == {"outcome": ["Say what came of the action."]}
    closed = partner.post(
        f"/api/meeting-actions/{pk}/close/", {"outcome": "Council briefed."}, format="json"
    )
    assert closed.json() == {"id": pk, "status": "done", "open": False}
    assert MeetingAction.objects.get(pk=pk).closed_by == world.partner
    assert not partner.get("/api/meeting-actions/?mine=yes&status=open").json()["results"]
