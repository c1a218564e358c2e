"""The learning library: the lessons of held debriefs, searched by their words and filtered by
tactic, capability, crime type, organisation and the date of the debrief, paginated, exported
as CSV with a reason; only what the reader may see, by a hand-written access table (a partner,
a force in the same region and one in another, an inspector). The world is the synthetic one of
``tests/tasking/debriefs_world.py``."""

from __future__ import annotations

import csv
import io
import re

import pytest

from socmaster.core.models import AuditEntry
from socmaster.disruptions.models import Tactic
from socmaster.gateway.models import Capability
from socmaster.tasking.services import debriefs as services
from socmaster.threats.models import CrimeType
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


def _held(lro, text, *, held_days_ago, tactic=None, capability=None, crimes=(), **threat):
    t = make_threat(lro, **threat)
    close(lro, t, on=TODAY - (held_days_ago + 1) * DAY)
    debrief = services.debrief_for_threat_closure(t)
    services.update_debrief(
        lro, debrief, {"what_worked": "Synthetic.", "what_did_not": "Synthetic."}
    )
    services.add_lesson(
        lro,
        debrief,
        text=text,
        tactic=Tactic.objects.get(code=tactic) if tactic else None,
        capability=Capability.objects.get(code=capability) if capability else None,
        crime_types=CrimeType.objects.filter(code__in=crimes),
    )
    return services.hold(lro, debrief, held_on=TODAY - held_days_ago * DAY)


@pytest.fixture
def lessons(people):
    """Five lessons, one per debrief (every text invented):

    A  Durham, region, shared with the council   arrest, surveillance, drugs     held 20 days ago
    B  Durham, owner only                        seizure of cash, laundering     held 5 days ago
    C  Durham, national                          covert authorities, firearms    held 100 days ago
    D  Kent, region                              arrest, organised immigration   held 2 days ago
    E  Durham, region, still due (not held)      arrest                          never listed
    """
    lro, kent = people["lro"], people["kent"]
    found = {
        "A": _held(
            lro,
            "Synthetic: dawn raids need two teams at the harbour.",
            held_days_ago=20,
            tactic="arrest",
            capability="surveillance",
            crimes=["drugs"],
            shared=["partner-durham-county-council"],
        ),
        "B": _held(
            lro,
            "Synthetic: cash couriers change cars at services.",
            held_days_ago=5,
            tactic="seizure_cash",
            crimes=["money_laundering"],
            handling="owner",
        ),
        "C": _held(
            lro,
            "Synthetic: book warrants a week ahead.",
            held_days_ago=100,
            capability="covert_authorities",
            crimes=["firearms"],
            handling="national",
        ),
        "D": _held(
            kent,
            "Synthetic: dawn raids at the ports need Border Force.",
            held_days_ago=2,
            tactic="arrest",
            crimes=["oic"],
            owner="force-kent",
        ),
    }
    t = make_threat(lro)
    close(lro, t)
    due = services.debrief_for_threat_closure(t)
    services.add_lesson(
        lro, due, text="Synthetic: dawn raids draft.", tactic=Tactic.objects.get(code="arrest")
    )
    found["E"] = due
    return found


#: Hand-written: which debriefs' lessons each reader finds in the library (never E: not held).
SEES = {
    "lro": "ABC",  # Durham's own, whatever their handling
    "colleague": "ABC",
    "cleveland": "AC",  # same region: region and national handling
    "kent": "CD",  # another region: national handling, and Kent's own
    "council": "A",  # a partner: only what is shared with it by name
    "middlesbrough": "",  # a partner shared nothing
    "inspector": "ABCD",  # reads everything
}


def found(client, query="") -> str:
    body = client.get(f"/tasking/debriefs/library/{query}").content.decode()
    links = re.findall(r'From <a class="govuk-link" href="/tasking/debriefs/([^/]+)/">', body)
    return links


def letters(lessons, references) -> str:
    by_reference = {d.reference: name for name, d in lessons.items()}
    return "".join(sorted(by_reference[r] for r in references))


@pytest.mark.parametrize("who", sorted(SEES))
def test_each_reader_finds_only_the_lessons_they_may_see(people, lessons, web, api, who):
    assert letters(lessons, found(web(people[who]))) == SEES[who]
    listed = api(people[who]).get("/api/lessons/?debrief_status=held").json()["results"]
    assert letters(lessons, [row["debrief"] for row in listed]) == SEES[who]
    assert (
        letters(lessons, [lesson.debrief.reference for lesson in services.library(people[who])])
        == SEES[who]
    )


def test_the_newest_debrief_comes_first(people, lessons, web):
    assert found(web(people["inspector"])) == [lessons[k].reference for k in "DBAC"]


#: Hand-written: what the inspector finds for each search (they see every held debrief).
SEARCHES = {
    "?q=dawn+raids": "AD",
    "?q=DAWN": "AD",
    "?q=dawn+harbour": "A",  # every word must appear
    "?q=nothing+like+this": "",
    "?tactic=arrest": "AD",
    "?capability=surveillance": "A",
    "?crime_type=firearms": "C",
    "?organisation=Kent": "D",
    "?organisation=Durham+Constabulary": "ABC",
    "?organisation=Nowhere+at+all": "",
    "?tactic=arrest&organisation=Durham+Constabulary": "A",
    f"?held_from={(TODAY - 30 * DAY).isoformat()}&held_to={(TODAY - 3 * DAY).isoformat()}": "AB",
    f"?held_to={(TODAY - 50 * DAY).isoformat()}": "C",
}


@pytest.mark.parametrize("query", list(SEARCHES))
def test_searches_and_filters(people, lessons, web, query):
    assert letters(lessons, found(web(people["inspector"]), query)) == SEARCHES[query]


def test_the_same_search_for_a_partner_stays_within_what_is_shared(people, lessons, web):
    assert letters(lessons, found(web(people["council"]), "?q=dawn+raids")) == "A"
    assert letters(lessons, found(web(people["council"]), "?organisation=Kent")) == ""


def test_a_bad_filter_is_a_field_error(people, lessons, web):
    response = web(people["lro"]).get("/tasking/debriefs/library/?tactic=no-such-tactic")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    response = web(people["lro"]).get("/tasking/debriefs/library/?held_from=31-02-2026")
    assert response.status_code == 400 and "Start date must be a real date" in (
        response.content.decode()
    )


def test_the_library_is_paginated(people, lessons, web):
    debrief = lessons["A"]
    for n in range(52):
        services.add_lesson(people["lro"], debrief, text=f"Synthetic lesson number {n}.")
    client = web(people["lro"])
    first = client.get("/tasking/debriefs/library/").content.decode()
    assert first.count('data-testid="library-lesson"') == 50
    assert 'data-testid="page-count">Page 1 of 2 (55 records)' in first
    second = client.get("/tasking/debriefs/library/?page=2").content.decode()
    assert second.count('data-testid="library-lesson"') == 5
    # The search is logged with its criteria and count.
    entry = AuditEntry.objects.filter(action="search").order_by("-seq").first()
    assert entry.record_type == "tasking.lesson" and entry.changes["count"] == 55


def test_the_csv_export_asks_for_a_reason_and_holds_only_what_may_be_seen(people, lessons, web):
    client = web(people["cleveland"])
    url = "/tasking/debriefs/library/export.csv?tactic=arrest"
    page = client.get(url)
    assert page.status_code == 200 and "Why are you exporting" in page.content.decode()
    refused = client.post(url, {"reason": "no"})
    assert refused.status_code == 400
    assert not AuditEntry.objects.filter(action="export").exists()
    response = client.post(url, {"reason": "Synthetic: planning Op Tide."})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["Debrief", "Organisation", "Operation"]
    # Cleveland sees A (arrest) but not D (Kent's, region handling elsewhere) nor B.
    assert [r[0] for r in rows[1:]] == [lessons["A"].reference]
    assert rows[1][5] == "Synthetic: dawn raids need two teams at the harbour."
    entry = AuditEntry.objects.get(action="export")
    assert (entry.reason, entry.changes["count"], entry.changes["filters"]) == (
        "Synthetic: planning Op Tide.",
        1,
        {"tactic": "arrest"},
    )
