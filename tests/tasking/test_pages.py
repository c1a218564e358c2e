"""The meeting pages: the list, a new meeting, the meeting (reordering, items, decisions,
actions, closing, the workflow), the minutes and their PDF, the actions list and its export, and
the home page's figure. Synthetic data."""

from __future__ import annotations

import csv
import io

import pytest

from socmaster.core.models import AuditEntry
from socmaster.tasking.models import AgendaItem, Meeting, MeetingAction
from socmaster.tasking.services import meetings as services
from tests.tasking import meetings_world
from tests.tasking.meetings_world import BODY, TODAY, days

pytestmark = pytest.mark.django_db
world = meetings_world.world  # the fixture


def _form(**overrides) -> dict:
    data = {
        "level": "regional",
        "owner": "rocu-north-east",
        "body": BODY,
        "held_on": TODAY.isoformat(),
        "chair": "tcg-chair",
        "attendees": "tcg-partner\ntcg-durham",
        "organisations": ["partner-durham-county-council"],
        "handling": "",
        "area": "",
        "top_n": "10",
    }
    data.update(overrides)
    return data


def test_a_new_meeting_from_the_form_builds_its_agenda_and_says_what_is_on_it(world, web):
    world.threat(name="Unled", score=3)
    client = web(world.secretary)
    assert client.get("/tasking/meetings/new/").status_code == 200
    response = client.post("/tasking/meetings/new/", _form(), follow=True)
    meeting = Meeting.objects.get()
    assert response.redirect_chain[-1][0] == f"/tasking/meetings/{meeting.pk}/"
    body = response.content.decode()
    assert "The meeting has been created and its agenda built" in body
    assert "Threats without an LRO: 1" in body and "Top threats by priority score: 1" in body
    assert set(meeting.attendees.values_list("username", flat=True)) == {
        "tcg-partner",
        "tcg-durham",
    }
    assert 'data-testid="section-no_lro"' in body
    # The exceptions were counted by the background task (run at once in tests).
    assert "The exceptions are being counted." in body
    assert meeting.items.filter(kind="exceptions").exists()
    assert not meeting.items.filter(pending=True).exists()


def test_the_form_shows_every_error_on_its_field_and_writes_nothing(world, web):
    client = web(world.secretary)
    response = client.post(
        "/tasking/meetings/new/",
        _form(body="", chair="nobody-here", attendees="tcg-partner ghost", top_n="0"),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert "Enter the group" in body
    assert "No such user: nobody-here." in body and "No such user: ghost." in body
    assert "Ensure this value is greater than or equal to 1." in body
    assert not Meeting.objects.exists()
    # A service-level error (someone who could not see the meeting) is shown on its field too.
    response = client.post("/tasking/meetings/new/", _form(attendees="tcg-yorkshire"))
    assert "These people could not see this meeting: tcg-yorkshire" in response.content.decode()
    assert not Meeting.objects.exists()


def test_only_people_who_may_create_meetings_are_offered_the_form(world, web):
    assert web(world.partner).get("/tasking/meetings/new/").status_code == 403
    assert (
        'data-testid="new-meeting"'
        not in web(world.partner).get("/tasking/meetings/").content.decode()
    )
    assert (
        'data-testid="new-meeting"'
        in web(world.secretary).get("/tasking/meetings/").content.decode()
    )


def test_the_list_shows_meetings_by_group_and_date_and_is_logged(world, web):
    world.regional(days(-30))
    world.regional(days(-2))
    world.regional(days(-10), body="Another group")
    client = web(world.durham)
    body = client.get("/tasking/meetings/").content.decode()
    assert body.count('data-testid="meeting-row"') == 3
    assert body.index("Another group") < body.index(BODY)  # by group, then the latest first
    filtered = client.get("/tasking/meetings/", {"body": "Another group"}).content.decode()
    assert filtered.count('data-testid="meeting-row"') == 1
    entry = AuditEntry.objects.filter(action="search", record_type="tasking.meeting").first()
    assert entry.changes["criteria"] == {"body": "Another group"} and entry.changes["count"] == 1
    assert "meeting-row" not in web(world.yorkshire).get("/tasking/meetings/").content.decode()


@pytest.fixture
def meeting(world):
    meeting = world.regional(days(-1)).meeting
    for title in ("First", "Second", "Third"):
        services.add_item(world.chair, meeting, title=title)
    return meeting


def test_reordering_with_the_up_and_down_buttons(world, web, meeting):
    client = web(world.chair)
    third = meeting.items.get(title="Third")
    response = client.post(f"/tasking/meetings/{meeting.pk}/items/{third.pk}/move/up/")
    assert response.status_code == 302 and response["Location"].endswith(f"#item-{third.pk}")
    assert world.items(meeting)[-3:] == ["First", "Third", "Second"]
    page = client.get(f"/tasking/meetings/{meeting.pk}/").content.decode()
    assert page.index(">Third<") < page.index(">Second<")
    assert (
        client.get(f"/tasking/meetings/{meeting.pk}/items/{third.pk}/move/up/").status_code == 405
    )
    # Someone who may not change the agenda is refused, and nothing moves.
    assert (
        web(world.durham)
        .post(f"/tasking/meetings/{meeting.pk}/items/{third.pk}/move/up/")
        .status_code
        == 403
    )
    assert world.items(meeting)[-3:] == ["First", "Third", "Second"]


def test_adding_an_item_from_the_page(world, web, meeting):
    client = web(world.chair)
    url = f"/tasking/meetings/{meeting.pk}/items/new/"
    refused = client.post(url, {"title": "", "section": "chair", "threat": "NOPE-1"})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "Enter the title" in body and "No such threat." in body
    threat = world.threat(name="Raised at the meeting")
    response = client.post(
        url,
        {
            "title": "Raised",
            "detail": "Verbal update",
            "section": "chair",
            "threat": threat.reference,
        },
    )
    assert response.status_code == 302
    item = meeting.items.get(title="Raised")
    assert item.threat == threat and item.added_by == world.chair


def test_decisions_and_actions_from_the_page(world, web, meeting):
    client = web(world.secretary)
    item = meeting.items.get(title="First")
    base = f"/tasking/meetings/{meeting.pk}/items/{item.pk}"
    refused = client.post(f"{base}/decisions/", {f"item{item.pk}-decision-text": " "})
    assert refused.status_code == 400 and "Enter the decision" in refused.content.decode()
    assert (
        client.post(
            f"{base}/decisions/", {f"item{item.pk}-decision-text": "Adopt the synthetic plan."}
        ).status_code
        == 302
    )
    prefix = f"item{item.pk}-action"
    bad = client.post(
        f"{base}/actions/",
        {
            f"{prefix}-description": "Brief Kent",
            f"{prefix}-owner": "tcg-yorkshire",
            f"{prefix}-due_on_day": "1",
            f"{prefix}-due_on_month": "1",
            f"{prefix}-due_on_year": "2020",
        },
    )
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "tcg-yorkshire may not see this item" in body
    assert not MeetingAction.objects.exists()
    good = client.post(
        f"{base}/actions/",
        {
            f"{prefix}-description": "Brief the council",
            f"{prefix}-owner": "tcg-partner",
            f"{prefix}-due_on": days(7).isoformat(),
        },
    )
    assert good.status_code == 302
    action = MeetingAction.objects.get()
    page = client.get(f"/tasking/meetings/{meeting.pk}/").content.decode()
    assert "Adopt the synthetic plan." in page and 'data-testid="item-action"' in page
    # The partner closes their own action from its page.
    partner = web(world.partner)
    assert "Close the action" in partner.get(f"/tasking/actions/{action.pk}/").content.decode()
    closed = partner.post(
        f"/tasking/actions/{action.pk}/close/",
        {f"action{action.pk}-outcome": "Council briefed.", f"action{action.pk}-done": "yes"},
    )
    assert closed.status_code == 302
    action.refresh_from_db()
    assert action.status == "done" and action.closed_in is None


def test_a_carried_action_is_closed_at_the_meeting_that_lists_it(world, web, meeting):
    item = meeting.items.get(title="First")
    action = services.add_action(
        world.chair, item, description="Map the crew", owner=world.durham, due_on=days(2)
    )
    later = world.regional(TODAY).meeting
    client = web(world.chair)
    page = client.get(f"/tasking/meetings/{later.pk}/").content.decode()
    assert 'data-testid="carried-action"' in page and "Map the crew" in page
    assert f'Raised at <a class="govuk-link" href="/tasking/meetings/{meeting.pk}/">' in page
    refused = client.post(
        f"/tasking/actions/{action.pk}/close/",
        {"meeting": later.pk, f"action{action.pk}-outcome": "", f"action{action.pk}-done": "yes"},
    )
    assert refused.status_code == 400 and "Enter the outcome" in refused.content.decode()
    response = client.post(
        f"/tasking/actions/{action.pk}/close/",
        {
            "meeting": later.pk,
            f"action{action.pk}-outcome": "Mapped.",
            f"action{action.pk}-done": "yes",
        },
    )
    assert response.status_code == 302 and f"/tasking/meetings/{later.pk}/" in response["Location"]
    action.refresh_from_db()
    assert action.closed_in == later


def test_the_workflow_buttons(world, web, meeting):
    client = web(world.chair)
    page = client.get(f"/tasking/meetings/{meeting.pk}/").content.decode()
    assert 'data-testid="transition-hold"' in page and "transition-approve" not in page
    client.post(f"/tasking/meetings/{meeting.pk}/hold/")
    client.post(f"/tasking/meetings/{meeting.pk}/approve/")
    meeting.refresh_from_db()
    assert meeting.status == "approved"
    page = client.get(f"/tasking/meetings/{meeting.pk}/").content.decode()
    assert "Move up" not in page and "Add an item" not in page and "transition-" not in page
    assert client.post(f"/tasking/meetings/{meeting.pk}/nonsense/").status_code == 404


def test_a_restricted_meeting_asks_for_a_reason(world, web):
    meeting = world.regional(handling="named", attendees=[world.partner]).meeting
    client = web(world.partner)
    response = client.get(f"/tasking/meetings/{meeting.pk}/")
    assert response.status_code == 302 and "/reason/" in response["Location"]


def test_the_minutes_pdf_asks_for_a_reason_and_is_audited(world, web, meeting):
    client = web(world.durham)
    url = f"/tasking/meetings/{meeting.pk}/minutes.pdf"
    assert "Why are you downloading the minutes" in client.get(url).content.decode()
    assert client.post(url, {"reason": "no"}).status_code == 400
    assert not AuditEntry.objects.filter(action="export").exists()
    response = client.post(url, {"reason": "Force tasking pack"})
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    entry = AuditEntry.objects.get(action="export")
    assert (entry.record_type, entry.record_id, entry.reason) == (
        "tasking.meeting",
        str(meeting.pk),
        "Force tasking pack",
    )
    assert entry.changes["format"] == "pdf"
    minutes = client.get(f"/tasking/meetings/{meeting.pk}/minutes/").content.decode()
    assert "minutes of" in minutes and "Second" in minutes


def _overdue_action(world, meeting, owner):
    item = meeting.items.get(title="First")
    action = services.add_action(
        world.chair, item, description="Overdue work", owner=owner, due_on=meeting.held_on
    )
    MeetingAction.objects.filter(pk=action.pk).update(due_on=days(-5))
    return action


def test_the_actions_list_mine_open_and_overdue(world, web, meeting):
    _overdue_action(world, meeting, world.durham)
    item = meeting.items.get(title="Second")
    services.add_action(
        world.chair, item, description="Not yet due", owner=world.durham, due_on=days(9)
    )
    services.add_action(
        world.chair, item, description="Someone else's", owner=world.chair, due_on=days(9)
    )
    client = web(world.durham)
    body = client.get("/tasking/actions/").content.decode()
    assert body.count('data-testid="action-row"') == 2  # mine and open by default
    overdue = client.get("/tasking/actions/?scope=mine&overdue=1").content.decode()
    assert overdue.count('data-testid="action-row"') == 1 and "Overdue work" in overdue
    every = client.get("/tasking/actions/?scope=&status=").content.decode()
    assert every.count('data-testid="action-row"') == 3


def test_the_actions_export_asks_for_a_reason(world, web, meeting):
    _overdue_action(world, meeting, world.durham)
    client = web(world.durham)
    assert client.get("/tasking/actions/export.csv").status_code == 200  # the reason prompt
    response = client.post("/tasking/actions/export.csv?scope=mine", {"reason": "Tasking pack"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["action", "description", "owner"] and rows[1][1] == "Overdue work"
    entry = AuditEntry.objects.get(action="export")
    assert entry.record_type == "tasking.meetingaction" and entry.reason == "Tasking pack"


def test_the_home_page_counts_the_users_overdue_actions(world, web, meeting):
    _overdue_action(world, meeting, world.durham)
    body = web(world.durham).get("/").content.decode()
    assert 'data-testid="count-meeting-actions-overdue">1<' in body
    assert 'href="/tasking/actions/?scope=mine&amp;overdue=1"' in body
    other = web(world.chair).get("/").content.decode()
    assert 'data-testid="count-meeting-actions-overdue" hidden>0<' in other  # nothing else
    assert "count-meeting-actions-overdue" not in web(world.inspector).get("/").content.decode()


def test_every_agenda_item_is_on_the_page_under_its_section(world, web):
    world.threat(name="Unled", score=1)
    meeting = world.regional().meeting
    body = web(world.chair).get(f"/tasking/meetings/{meeting.pk}/").content.decode()
    assert body.count('data-testid="item"') == AgendaItem.objects.filter(meeting=meeting).count()
    assert body.index("Top threats by priority score") < body.index("Threats without an LRO")


def test_the_meeting_page_takes_the_same_queries_however_long_the_agenda(world, web):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def page_queries(meeting):
        client = web(world.chair)
        client.get(f"/tasking/meetings/{meeting.pk}/")  # the session, once
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/tasking/meetings/{meeting.pk}/").status_code == 200
        return len(ctx.captured_queries)

    def meeting_with(n, body):
        earlier = world.regional(days(-20), body=body).meeting
        for i in range(n):
            item = services.add_item(world.chair, earlier, title=f"Earlier {i}")
            services.add_action(
                world.chair, item, description=f"Carried {i}", owner=world.durham, due_on=days(1)
            )
        meeting = world.regional(TODAY, body=body).meeting
        for i in range(n):
            item = services.add_item(world.chair, meeting, title=f"Item {i}")
            services.record_decision(world.chair, item, text=f"Decision {i}")
            services.add_action(
                world.chair, item, description=f"Action {i}", owner=world.partner, due_on=days(3)
            )
        return meeting

    small = page_queries(meeting_with(1, "Small group"))
    large = page_queries(meeting_with(8, "Large group"))
    assert small == large
