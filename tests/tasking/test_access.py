"""Who sees what of a meeting: a hand-written table, checked through the queryset, the meeting
page, the minutes (page and PDF), the API and the actions list.

The meeting is the North East regional one, owned by its ROCU (region handling) and attended by
Durham County Council, so shared with it. Its agenda (synthetic):

    A  top threat    Harbour crew: Durham's, shared with the council
    B  top threat    Quarry crew: Durham's, not shared
    C  gateway       a request about Harbour crew (the ROCU's, shared with Durham only)
    D  heading       "Any other business" the chair added: about no record
    E  figure        unmet demand for the intelligence bureau: a figure, police only
    F  chair item    "Quarry crew update" the chair added about Quarry crew

A partner at the meeting sees only what is shared with them: A and D, with their decisions and
actions. Nobody outside the region (or the meeting's organisations) sees the meeting at all.
"""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from socmaster.core.models import AuditEntry
from socmaster.gateway import services as gateway_services
from socmaster.gateway.models import Capability, CapabilityOffer
from socmaster.tasking.models import AgendaItem, Decision, Meeting, MeetingAction
from socmaster.tasking.services import meetings as services
from tests.access import same_body
from tests.tasking import meetings_world
from tests.tasking.meetings_world import days

pytestmark = pytest.mark.django_db
world = meetings_world.world  # the fixture

ITEMS = "ABCDEF"
#: Which items each person sees: written out by hand, not computed from the policy.
SEES = {
    "chair": "ABCDEF",
    "secretary": "ABCDEF",
    "durham": "ABCDEF",
    "partner": "AD",
    "outsider": "",
    "yorkshire": "",
    "inspector": "ABCDEF",
}
#: Whether they see the meeting itself.
SEES_MEETING = {name: name not in {"outsider", "yorkshire"} for name in SEES}


@pytest.fixture
def meeting(world):
    shared = world.threat(name="Harbour crew", score=90, shared=("partner-durham-county-council",))
    police = world.threat(name="Quarry crew", score=80)
    rib = Capability.objects.get(code="rib")
    CapabilityOffer.objects.create(
        capability=rib, organisation=world.org("rocu-north-east"), team="RIB", monthly_capacity=5
    )

    def ask():
        return gateway_services.submit_request(
            world.durham,
            capability=rib,
            gateway=world.org("rocu-north-east"),
            requesting_organisation=world.org("force-durham"),
            threat=shared,
            asked_for="Research into the synthetic crew's associates.",
            justification="Synthetic.",
            needed_from=days(7),
        )

    ask()  # awaiting a decision: item C
    gateway_services.decline(world.officer, ask(), reason="capacity", notes="Full.")  # item E
    meeting = world.regional(top_n=2).meeting
    services.add_item(world.chair, meeting, title="Any other business")  # D
    services.add_item(world.chair, meeting, title="Quarry crew update", threat=police)  # F
    items = {
        "A": meeting.items.get(kind="top_threats", threat=shared),
        "B": meeting.items.get(kind="top_threats", threat=police),
        "C": meeting.items.get(kind="gateway_awaiting"),
        "D": meeting.items.get(title="Any other business"),
        "E": meeting.items.get(kind="gateway_unmet"),
        "F": meeting.items.get(title="Quarry crew update"),
    }
    assert items["E"].figure and items["C"].record_type == "gateway.supportrequest"
    for letter, item in items.items():
        services.record_decision(world.chair, item, text=f"Decision on {letter}")
        owner = world.partner if letter in SEES["partner"] else world.durham
        services.add_action(
            world.chair, item, description=f"Action on {letter}", owner=owner, due_on=days(7)
        )
    meeting.letters = {item.pk: letter for letter, item in items.items()}
    meeting.titles = {letter: item.title for letter, item in items.items()}
    return meeting


def _letters(meeting, pks) -> str:
    return "".join(sorted(meeting.letters[pk] for pk in pks if pk in meeting.letters))


def test_the_queryset_gives_each_person_the_items_of_the_table(world, meeting):
    for name, want in SEES.items():
        user = world.people[name]
        items = AgendaItem.objects.visible_to(user).filter(meeting=meeting)
        assert _letters(meeting, items.values_list("pk", flat=True)) == want, name
        decisions = Decision.objects.visible_to(user).filter(item__meeting=meeting)
        assert sorted(d.text[-1] for d in decisions) == list(want), name
        actions = MeetingAction.objects.visible_to(user).filter(item__meeting=meeting)
        assert sorted(a.description[-1] for a in actions) == list(want), name
        assert (
            Meeting.objects.visible_to(user).filter(pk=meeting.pk).exists() == (SEES_MEETING[name])
        ), name


def test_the_meeting_page_shows_each_person_the_items_of_the_table(world, meeting, web):
    missing = None
    for name, want in SEES.items():
        client = web(world.people[name])
        response = client.get(f"/tasking/meetings/{meeting.pk}/")
        if not SEES_MEETING[name]:
            missing = client.get("/tasking/meetings/999999/")
            assert response.status_code == 404 == missing.status_code, name
            assert same_body(response.content, missing.content), name
            continue
        assert response.status_code == 200, name
        body = response.content.decode()
        shown = "".join(letter for letter in ITEMS if f"Decision on {letter}" in body)
        assert shown == want, name
        for letter in ITEMS:
            assert (meeting.titles[letter] in body) == (letter in want), (name, letter)
    assert missing is not None


def test_the_minutes_page_and_pdf_hold_only_what_the_reader_may_see(world, meeting, web):
    for name in ("partner", "durham"):
        client = web(world.people[name])
        page = client.get(f"/tasking/meetings/{meeting.pk}/minutes/").content.decode()
        response = client.post(
            f"/tasking/meetings/{meeting.pk}/minutes.pdf", {"reason": "Partnership meeting"}
        )
        assert response.content.startswith(b"%PDF")
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
        for letter in ITEMS:
            want = letter in SEES[name]
            assert (f"Action on {letter}" in page) == want, (name, letter)
            assert (f"Decision on {letter}" in text) == want, (name, letter)
        assert "Quarry crew" not in text if name == "partner" else "Quarry crew" in text
        entry = AuditEntry.objects.filter(action="export", record_type="tasking.meeting").first()
        assert entry.username == world.people[name].username
        assert entry.reason == "Partnership meeting"


def test_the_api_gives_each_person_the_items_of_the_table(world, meeting, api):
    for name, want in SEES.items():
        client = api(world.people[name])
        response = client.get(f"/api/meetings/{meeting.pk}/")
        if not SEES_MEETING[name]:
            missing = client.get("/api/meetings/999999/")
            assert response.status_code == 404 and response.content == missing.content, name
            assert not client.get("/api/meeting-actions/").json()["results"], name
            continue
        items = [i for s in response.json()["agenda"] for i in s["items"]]
        assert _letters(meeting, [i["id"] for i in items]) == want, name
        actions = client.get(f"/api/meeting-actions/?meeting={meeting.pk}").json()["results"]
        assert _letters(meeting, [a["item"] for a in actions]) == want, name


def test_a_hidden_item_answers_like_a_missing_one(world, meeting, web, api):
    hidden = next(pk for pk, letter in meeting.letters.items() if letter == "B")
    client = web(world.partner)
    for url in (
        f"/tasking/meetings/{meeting.pk}/items/{hidden}/decisions/",
        f"/tasking/meetings/{meeting.pk}/items/999999/decisions/",
    ):
        assert client.post(url, {f"item{hidden}-decision-text": "x"}).status_code == 404
    action = MeetingAction.objects.get(item_id=hidden)
    assert web(world.partner).get(f"/tasking/actions/{action.pk}/").status_code == 404
    response = api(world.partner).post(
        "/api/meeting-actions/",
        {"item": hidden, "description": "x", "owner": "tcg-partner", "due_on": str(days(7))},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"item": ["No such agenda item."]}
