"""Debriefs through their pages and the API: the list and its states, the debrief page and its
forms (recording, saved unchanged writing nothing, lessons, hold, cancel with a reason), bad
input answered with field-level errors and nothing written, a hidden debrief answering like a
missing one; overdue and cancelled debriefs on the exceptions report, and the owner's figure on
the home page. The world is the synthetic one of ``tests/tasking/debriefs_world.py``."""

from __future__ import annotations

import re

import pytest
from django.db.models import Max

from socmaster.core import registry
from socmaster.core.models import AuditEntry
from socmaster.tasking.debrief_registry import CANCELLED, OVERDUE
from socmaster.tasking.models import Debrief, Lesson
from socmaster.tasking.services import debriefs as services
from tests.access import same_body
from tests.formdata import post_back_unchanged
from tests.tasking.debriefs_world import (
    DAY,
    TODAY,
    close,
    make_people,
    make_threat,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user):
    return make_people(make_user)


def mark() -> int:
    return AuditEntry.objects.aggregate(m=Max("seq"))["m"] or 0


def writes_since(last: int) -> list[tuple[str, str]]:
    return list(
        AuditEntry.objects.filter(seq__gt=last)
        .exclude(action__in=["view", "search"])
        .order_by("seq")
        .values_list("action", "record_type")
    )


def _debrief(people, *, days_ago=0, lro=None, **threat):
    lro = lro or people["lro"]
    t = make_threat(lro, **threat)
    close(lro, t, on=TODAY - days_ago * DAY)
    return services.debrief_for_threat_closure(t)


@pytest.fixture
def debriefs(people):
    """Durham's debriefs: one due, one overdue, one held, one cancelled (all the LRO's), one due
    that the colleague owns, one due that nobody owns (its threat has no LRO); and Kent's
    overdue owner-only one, which Durham may not see."""
    due = _debrief(people, days_ago=3)
    overdue = _debrief(people, days_ago=40, shared=["partner-durham-county-council"])
    held = _debrief(people, days_ago=50)
    services.update_debrief(
        people["lro"],
        held,
        {"what_worked": "Synthetic: it worked.", "what_did_not": "Synthetic: late warrant."},
    )
    services.add_lesson(people["lro"], held, text="Synthetic: book warrants early.")
    services.hold(people["lro"], held, held_on=TODAY - 10 * DAY)
    cancelled = _debrief(people, days_ago=60)
    services.cancel(people["lro"], cancelled, reason="Synthetic: the team was redeployed.")
    others = _debrief(people, days_ago=1)
    services.update_debrief(people["lro"], others, {"owner_user": people["colleague"]})
    kent = _debrief(people, days_ago=90, lro=people["kent"], owner="force-kent", handling="owner")
    unled = make_threat(None)
    close(people["colleague"], unled, on=TODAY - 2 * DAY)
    nobody = services.debrief_for_threat_closure(unled)  # a threat without an LRO: no owner
    return {
        "due": due,
        "overdue": overdue,
        "held": held,
        "cancelled": cancelled,
        "others": others,
        "kent": kent,
        "nobody": nobody,
    }


def listed(client, query="") -> list[str]:
    body = client.get(f"/tasking/debriefs/{query}").content.decode()
    return re.findall(
        r'<tr class="govuk-table__row" data-testid="debrief-row">\s*<td[^>]*>'
        r'<a class="govuk-link" href="[^"]+">([^<]+)</a>',
        body,
    )


def refs(debriefs, *names) -> list[str]:
    return sorted(debriefs[n].reference for n in names)


# --- The list ------------------------------------------------------------------------------------


def test_the_list_shows_each_state_and_mine(people, debriefs, web):
    client = web(people["lro"])
    everything = refs(debriefs, "due", "overdue", "held", "cancelled", "others", "nobody")
    assert sorted(listed(client)) == everything
    assert sorted(listed(client, "?status=due")) == refs(
        debriefs, "due", "overdue", "others", "nobody"
    )
    assert listed(client, "?status=overdue") == [debriefs["overdue"].reference]
    assert (
        '<td class="govuk-table__cell">Nobody</td>'
        in client.get("/tasking/debriefs/").content.decode()
    )
    assert listed(client, "?status=held") == [debriefs["held"].reference]
    assert listed(client, "?status=cancelled") == [debriefs["cancelled"].reference]
    assert sorted(listed(client, "?mine=yes&status=due")) == refs(debriefs, "due", "overdue")
    assert listed(web(people["colleague"]), "?mine=yes") == [debriefs["others"].reference]
    assert listed(client, "?organisation=Kent") == []
    assert listed(web(people["kent"])) == [debriefs["kent"].reference]
    # The read is logged with its criteria and count.
    entry = AuditEntry.objects.filter(action="search").order_by("-seq").first()
    assert entry.record_type == "tasking.debrief" and entry.changes["count"] == 1


def test_a_bad_filter_is_a_field_error(people, debriefs, web):
    response = web(people["lro"]).get("/tasking/debriefs/?status=nonsense")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


# --- One debrief ---------------------------------------------------------------------------------


def test_the_debrief_page_and_a_hidden_one_answering_like_a_missing_one(people, debriefs, web):
    client = web(people["lro"])
    body = client.get(debriefs["overdue"].get_absolute_url()).content.decode()
    assert "Overdue" in body and "12 days past its due date" in body
    assert 'data-testid="record-link"' in body and 'data-testid="cancel-form"' in body
    hidden = client.get(debriefs["kent"].get_absolute_url())
    missing = client.get("/tasking/debriefs/DBF-999999/")
    assert hidden.status_code == missing.status_code == 404
    assert same_body(hidden.content, missing.content)
    # Someone who may read but not record it is offered no form.
    body = web(people["cleveland"]).get(debriefs["overdue"].get_absolute_url()).content.decode()
    assert 'data-testid="record-link"' not in body and "cancel-form" not in body
    assert (
        web(people["cleveland"]).get(f"{debriefs['overdue'].get_absolute_url()}record/").status_code
        == 403
    )


def test_recording_through_the_page_and_saving_it_unchanged_writes_nothing(people, debriefs, web):
    client = web(people["lro"])
    url = f"{debriefs['due'].get_absolute_url()}record/"
    response = client.post(
        url,
        {
            "operation": "Op Synthetic Tide",
            "what_worked": "Synthetic: the surveillance team.",
            "what_did_not": "Synthetic: radios.",
            "partner_feedback": "Synthetic: the council liked the briefing.",
            "owner_user": people["lro"].pk,
            "lock_version": debriefs["due"].lock_version,
        },
    )
    assert response.status_code == 302
    stored = Debrief.objects.get(pk=debriefs["due"].pk)
    assert stored.partner_feedback == "Synthetic: the council liked the briefing."
    before = list(Debrief.objects.filter(pk=stored.pk).values())
    last = mark()
    _, response = post_back_unchanged(client, url)
    assert response.status_code == 302
    assert writes_since(last) == []
    assert list(Debrief.objects.filter(pk=stored.pk).values()) == before


def test_a_stale_version_is_refused_with_nothing_saved(people, debriefs, web):
    client = web(people["lro"])
    debrief = debriefs["due"]
    services.update_debrief(people["colleague"], debrief, {"what_worked": "Synthetic: theirs."})
    response = client.post(
        f"{debrief.get_absolute_url()}record/",
        {"what_worked": "Synthetic: mine.", "lock_version": debrief.lock_version},
    )
    assert response.status_code == 409
    assert Debrief.objects.get(pk=debrief.pk).what_worked == "Synthetic: theirs."


def test_lessons_are_added_and_changed_through_the_page(people, debriefs, web):
    client = web(people["lro"])
    debrief = debriefs["due"]
    page = client.get(f"{debrief.get_absolute_url()}lessons/new/").content.decode()
    # The threat's crime types are ticked to start with.
    assert re.search(r'value="drugs"[^>]*checked', page)
    response = client.post(
        f"{debrief.get_absolute_url()}lessons/new/",
        {"text": "", "tactic": "arrest", "crime_types": ["drugs"]},
    )
    assert response.status_code == 400 and "Enter the lesson" in response.content.decode()
    assert not Lesson.objects.filter(debrief=debrief).exists()
    response = client.post(
        f"{debrief.get_absolute_url()}lessons/new/",
        {"text": "Synthetic: arrest at dawn.", "tactic": "arrest", "crime_types": ["drugs"]},
    )
    assert response.status_code == 302
    lesson = Lesson.objects.get(debrief=debrief)
    assert (lesson.tactic.code, [c.code for c in lesson.crime_types.all()]) == ("arrest", ["drugs"])
    last = mark()
    _, response = post_back_unchanged(client, f"/tasking/debriefs/lessons/{lesson.pk}/")
    assert response.status_code == 302 and writes_since(last) == []
    response = client.post(f"/tasking/debriefs/lessons/{lesson.pk}/remove/")
    assert response.status_code == 302 and not Lesson.objects.filter(pk=lesson.pk).exists()


def test_holding_through_the_page_says_what_is_missing(people, debriefs, web):
    client = web(people["lro"])
    debrief = debriefs["due"]
    url = f"{debrief.get_absolute_url()}move/"
    last = mark()
    response = client.post(url, {"transition": "hold", "held_on": TODAY.isoformat()})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Say what worked before recording that it was held." in body
    assert "Add at least one lesson before recording that it was held." in body
    assert writes_since(last) == [] and Debrief.objects.get(pk=debrief.pk).status == "due"
    response = client.post(
        url,
        {
            "transition": "hold",
            "held_on_day": str((TODAY + DAY).day),
            "held_on_month": str((TODAY + DAY).month),
            "held_on_year": str((TODAY + DAY).year),
        },
    )
    assert response.status_code == 400
    assert "The day it was held cannot be in the future." in response.content.decode()


def test_cancelling_through_the_page_needs_a_reason(people, debriefs, web):
    client = web(people["lro"])
    debrief = debriefs["due"]
    url = f"{debrief.get_absolute_url()}move/"
    response = client.post(url, {"transition": "cancel", "reason": " "})
    assert response.status_code == 400
    assert "Say why the debrief is cancelled." in response.content.decode()
    assert Debrief.objects.get(pk=debrief.pk).status == "due"
    response = client.post(url, {"transition": "cancel", "reason": "Synthetic: merged."})
    assert response.status_code == 302
    stored = Debrief.objects.get(pk=debrief.pk)
    assert (stored.status, stored.cancel_reason) == ("cancelled", "Synthetic: merged.")
    body = client.get(debrief.get_absolute_url()).content.decode()
    assert 'data-testid="cancel-reason">Cancelled: Synthetic: merged.' in body
    assert 'data-testid="reinstate-form"' in body


def test_a_debrief_added_by_hand_through_the_page(people, debriefs, web):
    client = web(people["lro"])
    page = client.get("/tasking/debriefs/new/")
    assert page.status_code == 200 and 'name="ended_on_day"' in page.content.decode()
    seen = make_threat(people["cleveland"], owner="force-cleveland")
    response = client.post(
        "/tasking/debriefs/new/", {"threat": seen.reference, "ended_on": TODAY.isoformat()}
    )
    assert response.status_code == 400
    assert "Only the threat&#x27;s LRO and its owner&#x27;s officers" in response.content.decode()
    response = client.post(
        "/tasking/debriefs/new/",
        {"threat": debriefs["kent"].threat.reference, "ended_on": TODAY.isoformat()},
    )
    assert response.status_code == 400 and "No such threat." in response.content.decode()
    threat = make_threat(people["lro"])
    response = client.post(
        "/tasking/debriefs/new/", {"threat": threat.reference, "ended_on": TODAY.isoformat()}
    )
    assert response.status_code == 302
    debrief = Debrief.objects.get(threat=threat)
    assert response["Location"] == debrief.get_absolute_url()
    assert web(people["inspector"]).get("/tasking/debriefs/new/").status_code == 403


# --- The exceptions report and the home page -------------------------------------------------------


def counts(client, query="") -> dict[str, int]:
    body = client.get(f"/threats/exceptions/{query}").content.decode()
    found = {}
    for key in (OVERDUE, CANCELLED):
        marker = f'data-testid="summary-{key}">'
        found[key] = int(body[body.index(marker) + len(marker) :].split("<", 1)[0])
    return found


def test_overdue_and_cancelled_debriefs_are_on_the_exceptions_report(people, debriefs, web):
    client = web(people["colleague"])
    assert counts(client) == {OVERDUE: 1, CANCELLED: 1}
    body = client.get("/threats/exceptions/").content.decode()
    assert debriefs["overdue"].get_absolute_url() in body and "12 days overdue" in body
    assert "cancelled: Synthetic: the team was redeployed." in body
    # Kent's owner-only overdue debrief is only in Kent's report; inspectors see both.
    assert counts(web(people["kent"])) == {OVERDUE: 1, CANCELLED: 0}
    assert counts(web(people["inspector"])) == {OVERDUE: 2, CANCELLED: 1}
    assert counts(web(people["lro"]), "?mine=lro") == {OVERDUE: 1, CANCELLED: 1}
    assert counts(web(people["lro"]), "?owner=Kent") == {OVERDUE: 0, CANCELLED: 0}
    # Held, it leaves the report.
    overdue = debriefs["overdue"]
    services.update_debrief(
        people["lro"], overdue, {"what_worked": "Synthetic.", "what_did_not": "Synthetic."}
    )
    services.add_lesson(people["lro"], overdue, text="Synthetic lesson.")
    services.hold(people["lro"], overdue, held_on=TODAY)
    assert counts(client) == {OVERDUE: 0, CANCELLED: 1}


def test_a_cancellation_of_an_old_operation_is_no_longer_flagged(people, debriefs, web):
    Debrief.objects.filter(pk=debriefs["cancelled"].pk).update(ended_on=TODAY - 366 * DAY)
    assert counts(web(people["colleague"]))[CANCELLED] == 0


def figure(user):
    return {item.key: f for item, f in registry.attention_for(user)}.get("debriefs-due")


def test_the_owner_sees_their_due_debriefs_on_the_home_page(people, debriefs, web):
    mine = figure(people["lro"])
    assert mine.count == 2 and mine.urgent  # due and overdue; one is overdue
    assert dict(mine.links) == {
        "1 overdue": "/tasking/debriefs/?mine=yes&status=overdue",
        "1 cancelled": "/tasking/debriefs/?mine=yes&status=cancelled",
    }
    assert mine.detail == f"oldest due {debriefs['overdue'].due_on:%-d %b %Y}"
    client = web(people["lro"])
    assert len(listed(client, mine.url.split("/tasking/debriefs/")[1])) == mine.count
    for label, url in mine.links:
        assert len(listed(client, url.split("/tasking/debriefs/")[1])) == int(label.split()[0])
    body = client.get("/").content.decode()
    assert 'data-testid="count-debriefs-due">2<' in body
    assert 'data-testid="urgent-debriefs-due"' in body
    colleague = figure(people["colleague"])
    assert (colleague.count, colleague.urgent, colleague.links) == (1, False, ())
    # Neither an owner nor an LRO nor a gateway officer: no figure at all.
    assert figure(people["cleveland"]) is None
    assert figure(people["officer"]).count == 0  # a gateway officer may come to own some


# --- The API -------------------------------------------------------------------------------------


def test_the_api_reads_what_the_user_may_see(people, debriefs, api):
    client = api(people["lro"])
    body = client.get("/api/debriefs/?status=overdue").json()
    assert [d["reference"] for d in body["results"]] == [debriefs["overdue"].reference]
    assert body["results"][0]["overdue"] is True
    one = client.get(f"/api/debriefs/{debriefs['held'].reference}/").json()
    assert one["status"] == "held" and len(one["lessons"]) == 1
    hidden = client.get(f"/api/debriefs/{debriefs['kent'].reference}/")
    missing = client.get("/api/debriefs/DBF-999999/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content


def test_the_api_records_holds_and_cancels_through_the_services(people, debriefs, api):
    client = api(people["lro"])
    ref = debriefs["due"].reference
    response = client.patch(f"/api/debriefs/{ref}/", {"status": "held"}, format="json")
    assert response.status_code == 200  # status is read-only: ignored, not written
    assert Debrief.objects.get(reference=ref).status == "due"
    response = client.post(f"/api/debriefs/{ref}/hold/", {"held_on": TODAY.isoformat()})
    assert response.status_code == 400
    assert set(response.json()) == {"what_worked", "what_did_not", "lessons"}
    response = client.patch(
        f"/api/debriefs/{ref}/",
        {"what_worked": "Synthetic: it.", "what_did_not": "Synthetic: that."},
        format="json",
    )
    assert response.status_code == 200 and response["ETag"] == '"2"'
    response = client.post(
        "/api/lessons/",
        {"debrief": ref, "text": "Synthetic.", "crime_types": ["drugs"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    response = client.post(
        "/api/lessons/",
        {"debrief": debriefs["kent"].reference, "text": "Synthetic."},
        format="json",
    )
    assert response.status_code == 400 and response.json() == {"debrief": ["No such debrief."]}
    response = client.post(f"/api/debriefs/{ref}/hold/", {"held_on": TODAY.isoformat()})
    assert response.status_code == 200 and response.json()["status"] == "held"
    response = client.post(f"/api/debriefs/{debriefs['others'].reference}/cancel/", {})
    assert response.status_code == 400
    assert response.json() == {"reason": ["Say why the debrief is cancelled."]}
    # Someone who reads but may not record it: 403; someone who may not see it: 404.
    assert (
        api(people["cleveland"])
        .patch(f"/api/debriefs/{ref}/", {"what_worked": "x"}, format="json")
        .status_code
        == 403
    )
    assert (
        api(people["kent"])
        .post(f"/api/debriefs/{ref}/cancel/", {"reason": "Synthetic."})
        .status_code
        == 404
    )


def test_the_api_adds_a_debrief_by_hand(people, debriefs, api):
    client = api(people["lro"])
    response = client.post("/api/debriefs/", {"ended_on": TODAY.isoformat()}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"owner", "handling", "operation"}
    response = client.post(
        "/api/debriefs/",
        {
            "ended_on": TODAY.isoformat(),
            "owner": "force-durham",
            "handling": "region",
            "operation": "Op Synthetic Ember",
            "what_worked": "Synthetic: the briefing.",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["trigger"], body["status"], body["what_worked"]) == (
        "by_hand",
        "due",
        "Synthetic: the briefing.",
    )


def test_an_owner_who_has_left_stays_the_owner_when_the_form_is_saved_unchanged(
    people, debriefs, web
):
    lro = people["lro"]
    lro.is_active = False
    lro.save(update_fields=["is_active"])
    url = f"{debriefs['due'].get_absolute_url()}record/"
    client = web(people["colleague"])
    last = mark()
    _, response = post_back_unchanged(client, url)
    assert response.status_code == 302
    assert writes_since(last) == []
    assert Debrief.objects.get(pk=debriefs["due"].pk).owner_user == lro
