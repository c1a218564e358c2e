"""The master list hides closed threats unless asked; the exceptions report has a summary with a
count and a jump link per check, pages each check, and narrows to the user's threats."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from socmaster.threats.models import Phase, Threat

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(make_user):
    return make_user("force-durham", "lro", username="list-lro")


@pytest.fixture
def threats(org, analyst):
    durham = org("force-durham")
    closed_phase = Phase.objects.filter(name__contains="Closed").first()
    return {
        "live": Threat.objects.create(reference="LS-LIVE", name="Live", owner=durham),
        "closed": Threat.objects.create(
            reference="LS-CLOSED", name="Closed", owner=durham, closed_on=dt.date(2023, 5, 1)
        ),
        "phase": Threat.objects.create(
            reference="LS-PHASE", name="Phase", owner=durham, phase=closed_phase
        ),
    }


def _refs(body: str) -> set[str]:
    return set(re.findall(r">(LS-[A-Z]+)</a>", body))


def test_the_master_list_shows_open_threats_unless_asked(web, analyst, threats):
    client = web(analyst)
    body = client.get("/threats/").content.decode()
    assert _refs(body) == {"LS-LIVE"}
    assert '<option value="open" selected>' in body
    closed = client.get("/threats/", {"state": "closed"}).content.decode()
    assert _refs(closed) == {"LS-CLOSED", "LS-PHASE"}
    assert '<option value="closed" selected>' in closed
    either = client.get("/threats/", {"state": ""}).content.decode()
    assert _refs(either) == {"LS-LIVE", "LS-CLOSED", "LS-PHASE"}


def test_either_state_is_kept_on_the_next_page(web, analyst, org):
    for n in range(30):
        Threat.objects.create(
            reference=f"LS-P{n:02d}",
            name="p",
            owner=org("force-durham"),
            closed_on=dt.date(2024, 1, 1),
        )
    body = web(analyst).get("/threats/", {"state": ""}).content.decode()
    assert "?state=&amp;page=2" in body or "state=&page=2" in body


def test_the_export_follows_the_same_default(web, analyst, threats):
    from socmaster.threats.filters import ThreatFilter

    data = {"state": "open"}
    assert [t.reference for t in ThreatFilter(data, queryset=Threat.objects.all()).qs] == [
        "LS-LIVE"
    ]
    # Through the API the filter is offered but nothing is hidden by default.
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(analyst)
    refs = {t["reference"] for t in api.get("/api/threats/").json()["results"]}
    assert {"LS-LIVE", "LS-CLOSED", "LS-PHASE"} <= refs


# --- The exceptions report ------------------------------------------------------------------


@pytest.fixture
def many(org, analyst, make_user):
    durham, kent = org("force-durham"), org("force-kent")
    for n in range(30):  # active threats without an LRO
        Threat.objects.create(
            reference=f"EX-N{n:02d}", name="n", owner=durham, moderation_status="moderated"
        )
    Threat.objects.create(
        reference="EX-MINE", name="mine", owner=durham, lro=analyst, moderation_status="draft"
    )
    Threat.objects.create(
        reference="EX-KENT",
        name="kent",
        owner=kent,
        handling="national",
        moderation_status="moderated",
    )


def test_the_summary_counts_each_check_with_a_jump_link(web, analyst, many):
    body = web(analyst).get("/threats/exceptions/").content.decode()
    summary = body.split('data-testid="exceptions-summary"')[1].split("</table>")[0]
    assert 'href="#no_lro"' in summary and 'id="no_lro"' in body
    no_lro = int(re.search(r'data-testid="summary-no_lro">(\d+)<', summary).group(1))
    assert no_lro == 31  # 30 in Durham and the national Kent one
    total = int(re.search(r'data-testid="exceptions-total">(\d+)<', body).group(1))
    counted = sum(int(n) for n in re.findall(r'data-testid="summary-[a-z_]+">(\d+)<', summary))
    assert total == counted


def test_each_check_is_paged_on_its_own(web, analyst, many):
    client = web(analyst)
    first = client.get("/threats/exceptions/").content.decode()
    rows = first.split('data-testid="rows-no_lro"')[1].split("</table>")[0]
    assert rows.count('data-testid="exception-row"') == 25
    assert 'data-testid="pages-no_lro"' in first and "page-no_lro=2" in first
    second = client.get("/threats/exceptions/", {"page-no_lro": "2"}).content.decode()
    rows = second.split('data-testid="rows-no_lro"')[1].split("</table>")[0]
    assert rows.count('data-testid="exception-row"') == 6
    # Another check keeps its first page.
    assert 'data-testid="rows-not_moderated"' in second


def test_my_threats_and_one_check(web, analyst, many):
    client = web(analyst)
    mine = client.get("/threats/exceptions/", {"mine": "lro"}).content.decode()
    assert set(re.findall(r">(EX-[A-Z0-9]+)</a>", mine)) == {"EX-MINE"}
    assert '<option value="lro" selected>' in mine
    one = client.get("/threats/exceptions/", {"check": "no_lro"}).content.decode()
    assert 'id="no_lro"' in one and 'id="not_moderated"' not in one
    assert '<option value="no_lro" selected>' in one
    org_only = client.get("/threats/exceptions/", {"mine": "organisation"}).content.decode()
    assert "EX-KENT" not in org_only and "EX-N00" in org_only
    everything = client.get("/threats/exceptions/", {"page-no_lro": "2"}).content.decode()
    assert "EX-KENT" in everything  # Kent sorts after Durham: on the check's second page
